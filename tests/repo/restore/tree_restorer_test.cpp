#include "repo/restore/tree_restorer.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "repo/backup/snapshot_writer.h"
#include "storage/local/local_backend.h"

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace tree_restorer_test {
namespace {

namespace fs = std::filesystem;

constexpr int kDirectories = 6;
constexpr int kFilesPerDirectory = 30;

core::Bytes RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  core::Bytes bytes(size);
  for (auto& byte : bytes)
    byte = static_cast<uint8_t>(rng());
  return bytes;
}

std::string FileName(int directory, int file) {
  return "data/d" + std::to_string(directory) + "/f" + std::to_string(file);
}

// Sizes from empty to a few 64 KiB blobs, so workers finish files out of walk order.
size_t FileSize(int directory, int file) {
  return static_cast<size_t>((directory * 7919 + file * 104729) % (128 << 10)) * (file % 3);
}

uint32_t Seed(int directory, int file) {
  return static_cast<uint32_t>(directory * 1000 + file);
}

class TreeRestorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(
        std::move(core::TempDir::Create("hs-tree-restorer-test-").value()));
    InitOptions init;
    init.kdf = KdfParams{1024, 8, 1};  // fast for tests
    auto repo = Repository::Init(std::make_unique<storage::LocalBackend>(dir_->path() + "/repo"),
                                 "pw", init);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    repo_ = std::move(*repo);
    WriteSnapshot();
    ASSERT_TRUE(repo_->LoadIndex().ok());
  }

  // A data-directory-like tree of many files in nested directories, each directory with its own
  // mode and time.
  void WriteSnapshot() {
    SnapshotWriterOptions options;
    options.threads = 2;
    auto writer = SnapshotWriter::Open(*repo_, options);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (int directory = 0; directory < kDirectories; ++directory) {
      NodeAttributes dir_attributes;
      dir_attributes.permissions = 0750;
      dir_attributes.mtime = GoTime{1700000000 + directory, 0, 0};
      ASSERT_TRUE(
          (*writer)->AddDirectory("data/d" + std::to_string(directory), dir_attributes).ok());
      for (int file = 0; file < kFilesPerDirectory; ++file) {
        core::MemorySource source(RandomBytes(FileSize(directory, file), Seed(directory, file)));
        NodeAttributes attributes;
        attributes.permissions = 0640;
        attributes.mtime = GoTime{1700001000 + file, 0, 0};
        ASSERT_TRUE(
            (*writer)
                ->AddFile(FileName(directory, file), source, attributes, Chunking::FixedSize(65536))
                .ok());
      }
    }
    auto summary = (*writer)->Commit(CommitOptions{});
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    auto snapshot = repo_->LoadSnapshot(summary->snapshot_id);
    ASSERT_TRUE(snapshot.ok());
    snapshot_ = *snapshot;
  }

  std::string Target(const std::string& name) const { return dir_->path() + "/" + name; }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<Repository> repo_;
  Snapshot snapshot_;
};

struct stat Stat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

// Files written by parallel workers come back byte for byte, and every directory's time is the
// recorded one: applied after its last file was created, not before.
TEST_F(TreeRestorerTest, ParallelWorkersRestoreEveryFileAndDirectoryTime) {
  TreeRestoreOptions options;
  options.file_workers = 4;
  auto restored = RestoreTree(*repo_, snapshot_, "", Target("out"), options);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->files, static_cast<uint64_t>(kDirectories * kFilesPerDirectory));
  for (int directory = 0; directory < kDirectories; ++directory) {
    std::string dir_path = Target("out/data/d" + std::to_string(directory));
    EXPECT_EQ(Stat(dir_path).st_mtime, 1700000000 + directory) << dir_path;
    EXPECT_EQ(Stat(dir_path).st_mode & 07777, 0750U);
    for (int file = 0; file < kFilesPerDirectory; ++file) {
      std::string path = Target("out/" + FileName(directory, file));
      auto content = core::ReadFileToString(path);
      ASSERT_TRUE(content.ok()) << content.status().ToString();
      ASSERT_EQ(*content,
                core::AsString(RandomBytes(FileSize(directory, file), Seed(directory, file))))
          << path;
      EXPECT_EQ(Stat(path).st_mtime, 1700001000 + file);
    }
  }
}

// One damaged pack among many: the restore stops with kCorruption (no worker hangs on a full
// queue, the walk stops) instead of reporting a tree with a bad file as restored.
TEST_F(TreeRestorerTest, DamagedPackFailsTheWholeRestore) {
  std::string victim;
  for (const auto& entry : fs::recursive_directory_iterator(Target("repo/data"))) {
    if (entry.is_regular_file() && entry.file_size() > (256 << 10))
      victim = entry.path().string();
  }
  ASSERT_FALSE(victim.empty());
  fs::permissions(victim, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream pack(victim, std::ios::in | std::ios::out | std::ios::binary);
    pack.seekp(4096);
    std::string garbage(64, '\x5a');
    pack.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  TreeRestoreOptions options;
  options.file_workers = 3;
  auto restored = RestoreTree(*repo_, snapshot_, "", Target("bad"), options);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.status().code(), core::ErrorCode::kCorruption) << restored.status().ToString();
}

// Collects what a file check saw, per relative path, in the order the bytes came.
class RecordingCheck : public core::ByteSink {
 public:
  RecordingCheck(std::string path, std::map<std::string, std::string>* seen, std::mutex* mutex)
      : path_(std::move(path)), seen_(seen), mutex_(mutex) {}
  core::Status Write(core::ByteView data) override {
    content_ += core::AsString(data);
    return core::Status::Ok();
  }
  core::Status Close() override {
    std::lock_guard<std::mutex> lock(*mutex_);
    (*seen_)[path_] = content_;
    return core::Status::Ok();
  }

 private:
  std::string path_;
  std::string content_;
  std::map<std::string, std::string>* seen_;
  std::mutex* mutex_;
};

// The caller's check sees every file under its path relative to the target, each file's bytes in
// order and whole (so a checksum over them equals the file's), from parallel workers.
TEST_F(TreeRestorerTest, TheFileCheckSeesEveryFileWholeUnderItsRelativePath) {
  std::map<std::string, std::string> seen;
  std::mutex mutex;
  TreeRestoreOptions options;
  options.file_workers = 4;
  options.file_check = [&](const std::string& relative_path) {
    return std::make_unique<RecordingCheck>(relative_path, &seen, &mutex);
  };
  auto restored = RestoreTree(*repo_, snapshot_, "data", Target("checked"), options);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kDirectories * kFilesPerDirectory));
  for (int directory = 0; directory < kDirectories; ++directory) {
    for (int file = 0; file < kFilesPerDirectory; ++file) {
      std::string relative = FileName(directory, file).substr(std::string("data/").size());
      ASSERT_EQ(seen.count(relative), 1U) << relative;
      EXPECT_EQ(seen[relative],
                core::AsString(RandomBytes(FileSize(directory, file), Seed(directory, file))))
          << relative;
    }
  }
}

// A check that rejects one file fails the restore with the check's own error (code and message),
// whichever worker wrote that file.
TEST_F(TreeRestorerTest, AFileTheCheckRejectsFailsTheRestoreWithTheChecksError) {
  class Rejecting : public core::ByteSink {
   public:
    core::Status Write(core::ByteView /*data*/) override { return core::Status::Ok(); }
    core::Status Close() override {
      return {core::ErrorCode::kVerifyFailed, "'d3/f7' does not match its recorded checksum"};
    }
  };
  TreeRestoreOptions options;
  options.file_workers = 3;
  options.file_check = [](const std::string& relative_path) -> std::unique_ptr<core::ByteSink> {
    if (relative_path == "d3/f7")
      return std::make_unique<Rejecting>();
    return nullptr;
  };
  auto restored = RestoreTree(*repo_, snapshot_, "data", Target("rejected"), options);
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.status().code(), core::ErrorCode::kVerifyFailed);
  EXPECT_NE(restored.status().message().find("d3/f7"), std::string::npos)
      << restored.status().ToString();
}

// The share of `path`'s pages in the page cache (mincore of a shared mapping), 0..1.
double ResidentShare(const std::string& path) {
  core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(fd.valid()) << path;
  size_t size = static_cast<size_t>(Stat(path).st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  EXPECT_NE(map, MAP_FAILED) << path;
  auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  EXPECT_EQ(::mincore(map, size, resident.data()), 0);
  ::munmap(map, size);
  size_t count = 0;
  for (unsigned char flags : resident)
    count += flags & 1U;
  return static_cast<double>(count) / static_cast<double>(resident.size());
}

// A large file restored with drop_written_pages comes back byte for byte and leaves few of its
// pages cached; without the option (the control, so the measure is shown to see pages) it stays
// cached. tmpfs keeps every page (they are its storage): there only the content is checked.
TEST_F(TreeRestorerTest, DropWrittenPagesRestoresALargeFileWholeAndLeavesItsPagesUncached) {
  constexpr size_t kLargeFile = size_t{48} << 20;  // three 16 MiB write-back strides
  const core::Bytes content = RandomBytes(kLargeFile, 4242);
  Snapshot large;
  {
    SnapshotWriterOptions writer_options;
    auto writer = SnapshotWriter::Open(*repo_, writer_options);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    core::MemorySource source(content);
    ASSERT_TRUE((*writer)
                    ->AddFile("data/base/16384", source, NodeAttributes{},
                              Chunking::FixedSize(size_t{512} << 10))
                    .ok());
    auto summary = (*writer)->Commit(CommitOptions{});
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    ASSERT_TRUE(repo_->LoadIndex().ok());
    auto loaded = repo_->LoadSnapshot(summary->snapshot_id);
    ASSERT_TRUE(loaded.ok());
    large = *loaded;
  }
  struct statfs filesystem {};
  ASSERT_EQ(::statfs(dir_->path().c_str(), &filesystem), 0);
  const bool pages_are_storage = filesystem.f_type == TMPFS_MAGIC;
  for (bool drop : {true, false}) {
    TreeRestoreOptions options;
    options.drop_written_pages = drop;
    std::string target = Target(drop ? "dropped" : "cached");
    auto restored = RestoreTree(*repo_, large, "", target, options);
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    std::string path = target + "/data/base/16384";
    if (!pages_are_storage) {
      double share = ResidentShare(path);
      if (drop) {
        EXPECT_LT(share, 0.5) << "pages left cached with drop_written_pages";
      } else {
        EXPECT_GT(share, 0.9) << "the control: a restore without the option keeps its pages";
      }
    }
    auto restored_content = core::ReadFileToString(path);
    ASSERT_TRUE(restored_content.ok()) << restored_content.status().ToString();
    EXPECT_TRUE(*restored_content == core::AsString(content)) << "drop_written_pages " << drop;
  }
}

}  // namespace
}  // namespace tree_restorer_test
}  // namespace hasteward::repo
