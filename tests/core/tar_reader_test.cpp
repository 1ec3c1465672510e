// TarReader against archives written by GNU tar (the real tool): members, modes, owners, long
// paths (ustar prefix), symlinks; a cut archive, a damaged header and a hard link are errors.
#include "core/tar_reader.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "support/command.h"

namespace hasteward::core {
namespace {

struct Member {
  TarEntry entry;
  std::string content;
};

Result<std::vector<Member>> ReadAll(const Bytes& archive) {
  MemorySource source(archive);
  TarReader reader(source);
  std::vector<Member> members;
  for (;;) {
    HS_ASSIGN_OR_RETURN(auto entry, reader.Next());
    if (!entry) {
      break;
    }
    Member m{*entry, ""};
    std::vector<uint8_t> buf(1000);  // not a block multiple: content reads cross blocks
    for (;;) {
      HS_ASSIGN_OR_RETURN(size_t n, reader.ReadContent(buf));
      if (n == 0) {
        break;
      }
      m.content.append(reinterpret_cast<const char*>(buf.data()), n);
    }
    members.push_back(std::move(m));
  }
  return members;
}

class TarReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("hs-tar-reader-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    root_ = dir_->path() + "/root";
    std::filesystem::create_directories(root_ + "/base/1");
    testing::WriteFile(root_ + "/base/1/1259", std::string(8192 * 3 + 100, 'p'));
    testing::WriteFile(root_ + "/PG_VERSION", "15\n");
    ::chmod((root_ + "/PG_VERSION").c_str(), 0600);
    long_dir_ = root_ + "/" + std::string(60, 'd') + "/" + std::string(60, 'e');
    std::filesystem::create_directories(long_dir_);
    testing::WriteFile(long_dir_ + "/file", "long path");
    std::filesystem::create_symlink("/elsewhere/target", root_ + "/link");
  }

  Bytes Archive(const std::vector<std::string>& extra_args = {}) {
    std::string tar = dir_->path() + "/out.tar";
    // -b 1: no record padding, so the archive ends with exactly the two zero blocks.
    std::vector<std::string> argv = {"tar", "--format=ustar", "-b", "1", "-cf", tar, "-C", root_};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    argv.emplace_back(".");
    auto r = testing::RunCommand(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto content = ReadFileToString(tar);
    EXPECT_TRUE(content.ok());
    return Bytes(content->begin(), content->end());
  }

  std::unique_ptr<TempDir> dir_;
  std::string root_;
  std::string long_dir_;
};

TEST_F(TarReaderTest, ReadsMembersWithContentModesAndLongPaths) {
  auto members = ReadAll(Archive());
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  std::map<std::string, Member> by_path;
  for (auto& m : *members) {
    by_path[m.entry.path] = m;
  }
  ASSERT_TRUE(by_path.count("base/1/1259"));
  EXPECT_EQ(by_path["base/1/1259"].content, std::string(8192 * 3 + 100, 'p'));
  EXPECT_EQ(by_path["base/1/1259"].entry.size, 8192u * 3 + 100);
  EXPECT_EQ(by_path["PG_VERSION"].content, "15\n");
  EXPECT_EQ(by_path["PG_VERSION"].entry.mode, 0600u);
  EXPECT_EQ(by_path["PG_VERSION"].entry.uid, ::getuid());
  EXPECT_EQ(by_path["base"].entry.type, TarEntryType::kDirectory);  // no "./", no trailing '/'
  EXPECT_EQ(by_path["link"].entry.type, TarEntryType::kSymlink);
  EXPECT_EQ(by_path["link"].entry.link_target, "/elsewhere/target");
  std::string long_file = std::string(60, 'd') + "/" + std::string(60, 'e') + "/file";
  ASSERT_TRUE(by_path.count(long_file)) << "the ustar prefix field must be joined to the name";
  EXPECT_EQ(by_path[long_file].content, "long path");
}

TEST_F(TarReaderTest, SkipsUnreadContent) {
  Bytes archive = Archive();
  MemorySource source(archive);
  TarReader reader(source);
  size_t count = 0;
  for (;;) {
    auto entry = reader.Next();
    ASSERT_TRUE(entry.ok()) << entry.status().ToString();
    if (!*entry) {
      break;
    }
    ++count;
  }
  EXPECT_GE(count, 7u);
  EXPECT_EQ(reader.bytes_read(), archive.size());
}

TEST_F(TarReaderTest, CutArchiveIsDumpFailedAtEveryCut) {
  Bytes archive = Archive();
  // Cut inside a header, inside content, at a block boundary, and just before the end marker.
  for (size_t cut : {size_t{100}, size_t{512 + 3000}, size_t{1024}, archive.size() - 1024}) {
    Bytes cut_archive(archive.begin(), archive.begin() + static_cast<std::ptrdiff_t>(cut));
    auto members = ReadAll(cut_archive);
    ASSERT_FALSE(members.ok()) << "cut at " << cut;
    EXPECT_EQ(members.status().code(), ErrorCode::kDumpFailed) << members.status().ToString();
  }
}

TEST_F(TarReaderTest, DamagedHeaderIsCorruption) {
  Bytes archive = Archive();
  archive[10] ^= 0x01;  // inside the first member's name
  auto members = ReadAll(archive);
  ASSERT_FALSE(members.ok());
  EXPECT_EQ(members.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(members.status().message().find("checksum"), std::string::npos);
}

TEST_F(TarReaderTest, HardLinkIsRefused) {
  ASSERT_EQ(::link((root_ + "/PG_VERSION").c_str(), (root_ + "/hard").c_str()), 0);
  auto members = ReadAll(Archive());
  ASSERT_FALSE(members.ok());
  EXPECT_EQ(members.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(members.status().message().find("not a file, directory or symlink"), std::string::npos);
}

TEST(TarNumberTest, OctalAndBase256) {
  const uint8_t octal[] = {'0', '0', '0', '1', '7', '7', ' ', '\0'};
  EXPECT_EQ(*ParseTarNumber(octal), 0177u);
  // 8 GiB + 1 does not fit 11 octal digits; GNU writes base-256.
  uint8_t big[12] = {0x80, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0x01};
  EXPECT_EQ(*ParseTarNumber(big), (uint64_t{2} << 32) + 1);
  const uint8_t bad[] = {'0', '9', '\0'};
  EXPECT_EQ(ParseTarNumber(bad).status().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::core
