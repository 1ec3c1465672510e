// `hasteward mount` end to end with real FUSE: a directory tree backed up (by stock restic, the
// referee, since HASteward's own tree backups need a database) and a stream backed up by
// HASteward are mounted by the real binary; every file, size, mode, mtime, symlink and directory
// listing through the mount equals the source and `hasteward export`; SIGTERM/SIGINT unmount and
// exit 0; a corrupt pack reads as EIO, never as zeros.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "support/hasteward_env.h"
#include "support/mount_process.h"

namespace hasteward::testing {
namespace {

namespace fs = std::filesystem;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out)
    c = static_cast<char>(rng());
  return out;
}

// Relative path -> "type size mode mtime [sha|target]" of everything below `dir`, symlinks not
// followed: what must be identical through the mount.
std::map<std::string, std::string> Describe(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string path = e.path().string();
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    std::string what = std::to_string(st.st_mode) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
                       std::to_string(st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode)) {
      what += " " + std::to_string(st.st_size) + " " + Sha256File(path);
    } else if (S_ISLNK(st.st_mode)) {
      what += " -> " + fs::read_symlink(path).string();
    }
    out[e.path().lexically_relative(dir).string()] = what;
  }
  return out;
}

class MountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string reason = FuseUnavailableReason(); !reason.empty())
      GTEST_SKIP() << "FUSE is not usable here: " << reason;
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    fs::create_directory(mountpoint_);
  }

  // Backs up `content` as db/dump.sql with HASteward; returns the snapshot ID.
  std::string BackupStream(const std::string& content) {
    std::string in = WriteFile(hs_.Path("dump.in"), content);
    auto r = hs_.Run({"backup", "--stdin", "--stdin-filename", "db/dump.sql", "--json"}, in);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out).value("snapshot_id", "") : "";
  }

  HastewardEnv hs_{"hs-mount-", "mount-test"};
  std::string mountpoint_ = hs_.Path("mnt");
};

TEST_F(MountTest, ServesTheTreeAsBackedUpAndUnmountsOnSigterm) {
  std::string src = hs_.Path("src");
  fs::create_directories(src + "/base/16384");
  fs::create_directories(src + "/empty_dir");
  WriteFile(src + "/base/16384/big", RandomBytes(9 << 20, 1));  // several blobs
  WriteFile(src + "/base/16384/small", "hello");
  WriteFile(src + "/PG_VERSION", "15\n");
  WriteFile(src + "/empty", "");
  fs::permissions(src + "/PG_VERSION", fs::perms::owner_read | fs::perms::owner_write);
  fs::create_symlink("base/16384/small", src + "/link");
  ASSERT_EQ(hs_.Restic({"backup", src}).exit_code, 0);
  auto snaps = hs_.Restic({"snapshots", "--json"});
  ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
  std::string id = nlohmann::json::parse(snaps.out).at(0).at("id");

  auto mount = MountProcess::Start({"--snapshot", id, "--path", src}, mountpoint_, hs_.vars());
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  EXPECT_EQ(Describe(mountpoint_), Describe(src));
  EXPECT_EQ(fs::read_symlink(mountpoint_ + "/link"), "base/16384/small");
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(mountpoint_))
    names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"PG_VERSION", "base", "empty", "empty_dir", "link"}));
  // The same bytes as `export` writes.
  std::string exported = hs_.Path("big.export");
  auto r = hs_.Run({"export", "--snapshot", id, "--path", src + "/base/16384/big", "-o", exported});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Sha256File(mountpoint_ + "/base/16384/big"), Sha256File(exported));
  // Read-only: nothing can be created or changed.
  EXPECT_LT(::open((mountpoint_ + "/new").c_str(), O_CREAT | O_WRONLY, 0600), 0);
  EXPECT_EQ(errno, EROFS);

  EXPECT_EQ((*mount)->Stop(SIGTERM), 0) << (*mount)->err();
  EXPECT_FALSE(IsMountpoint(mountpoint_));
  EXPECT_NE((*mount)->err().find("unmounted"), std::string::npos) << (*mount)->err();
}

TEST_F(MountTest, MountsTheLatestBackupAndUnmountsOnSigint) {
  std::string older = RandomBytes(1 << 20, 2);
  std::string newer = RandomBytes(5 << 20, 3);
  ASSERT_FALSE(BackupStream(older).empty());
  ASSERT_FALSE(BackupStream(newer).empty());
  auto mount = MountProcess::Start({}, mountpoint_, hs_.vars());
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  EXPECT_EQ(fs::file_size(mountpoint_ + "/db/dump.sql"), newer.size());
  EXPECT_EQ(Sha256File(mountpoint_ + "/db/dump.sql"), Sha256String(newer));
  EXPECT_EQ((*mount)->Stop(SIGINT), 0) << (*mount)->err();
  EXPECT_FALSE(IsMountpoint(mountpoint_));
}

TEST_F(MountTest, ACorruptPackReadsAsAnIoErrorNeverAsZeros) {
  std::string content = RandomBytes(6 << 20, 4);
  ASSERT_FALSE(BackupStream(content).empty());
  // The largest pack holds the file's data (its tree is in a small pack of its own): damage the
  // middle of it.
  std::string largest;
  for (const auto& e : fs::recursive_directory_iterator(hs_.repository() + "/data")) {
    if (e.is_regular_file() && (largest.empty() || e.file_size() > fs::file_size(largest)))
      largest = e.path().string();
  }
  ASSERT_FALSE(largest.empty());
  {
    std::fstream pack(largest, std::ios::in | std::ios::out | std::ios::binary);
    pack.seekp(static_cast<std::streamoff>(fs::file_size(largest) / 2));
    pack.write(std::string(64, '\0').data(), 64);
  }
  auto mount = MountProcess::Start({}, mountpoint_, hs_.vars());
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  core::UniqueFd fd(::open((mountpoint_ + "/db/dump.sql").c_str(), O_RDONLY));
  ASSERT_GE(fd.get(), 0) << std::strerror(errno);
  std::string buf(128 * 1024, '\0');
  size_t offset = 0;
  int read_errno = 0;
  while (true) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      read_errno = errno;
      break;
    }
    if (n == 0)
      break;
    // Whatever the mount does return is the file's real content.
    ASSERT_EQ(buf.compare(0, static_cast<size_t>(n), content, offset, static_cast<size_t>(n)), 0)
        << "wrong bytes at offset " << offset;
    offset += static_cast<size_t>(n);
  }
  EXPECT_EQ(read_errno, EIO) << "read " << offset << " of " << content.size() << " bytes";
  EXPECT_LT(offset, content.size());
  fd.Reset();
  EXPECT_EQ((*mount)->Stop(SIGTERM), 0) << (*mount)->err();
  EXPECT_NE((*mount)->err().find("i/o error"), std::string::npos) << (*mount)->err();
}

TEST_F(MountTest, ConcurrentReadersOfOneFileAllGetItsBytes) {
  std::string content = RandomBytes(12 << 20, 5);
  ASSERT_FALSE(BackupStream(content).empty());
  // A cache of 2 MiB: the readers evict each other's blobs all the time.
  auto mount = MountProcess::Start({"--cache-size", "2"}, mountpoint_, hs_.vars());
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  constexpr int kReaders = 6;
  std::vector<std::string> errors(kReaders);
  std::vector<std::thread> readers;
  for (int k = 0; k < kReaders; ++k) {
    readers.emplace_back([&, k] {
      // Each starts at another place and wraps around, so they read different blobs at once.
      std::ifstream in(mountpoint_ + "/db/dump.sql", std::ios::binary);
      size_t start = content.size() / kReaders * static_cast<size_t>(k);
      std::string buf(300 * 1024 + static_cast<size_t>(k), '\0');
      for (size_t done = 0; done < content.size();) {
        size_t offset = (start + done) % content.size();
        size_t want = std::min(buf.size(), content.size() - offset);
        in.seekg(static_cast<std::streamoff>(offset));
        in.read(buf.data(), static_cast<std::streamsize>(want));
        if (static_cast<size_t>(in.gcount()) != want ||
            buf.compare(0, want, content, offset, want) != 0) {
          errors[static_cast<size_t>(k)] =
              "reader " + std::to_string(k) + " at " + std::to_string(offset);
          return;
        }
        done += want;
      }
    });
  }
  for (auto& t : readers)
    t.join();
  for (const auto& e : errors)
    EXPECT_EQ(e, "");
  EXPECT_EQ((*mount)->Stop(SIGTERM), 0) << (*mount)->err();
}

TEST_F(MountTest, StopsWhileAFileIsOpenAndItsReaderGetsAnErrorNotData) {
  // Aborting a connection writes to the fuse control filesystem (mounted by the command when the
  // system has not): root only. Otherwise the command waits for the file to be closed.
  if (::geteuid() != 0)
    GTEST_SKIP() << "aborting a fuse connection needs root";
  std::string content = RandomBytes(4 << 20, 6);
  ASSERT_FALSE(BackupStream(content).empty());
  auto mount = MountProcess::Start({}, mountpoint_, hs_.vars());
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  core::UniqueFd fd(::open((mountpoint_ + "/db/dump.sql").c_str(), O_RDONLY));
  ASSERT_GE(fd.get(), 0);
  std::string buf(4096, '\0');
  ASSERT_EQ(::pread(fd.get(), buf.data(), buf.size(), 0), 4096);
  // The file stays open: the mount detaches, then aborts the connection and exits 0.
  EXPECT_EQ((*mount)->Stop(SIGTERM), 0) << (*mount)->err();
  EXPECT_FALSE(IsMountpoint(mountpoint_));
  EXPECT_LT(::pread(fd.get(), buf.data(), buf.size(), 3 << 20), 0);
  EXPECT_EQ(errno, ENOTCONN);
}

TEST_F(MountTest, RefusesAMissingMountpoint) {
  ASSERT_FALSE(BackupStream("x").empty());
  auto r = hs_.Run({"mount", hs_.Path("missing")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is not an existing directory"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hasteward::testing
