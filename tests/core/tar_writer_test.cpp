// TarWriter against the real readers: GNU tar extracts every member (modes, times, symlinks, a
// path that needs the ustar prefix and one that needs a pax record), Python's tarfile sees the
// same names and sizes, and our own TarReader reads back what fits in ustar. Content longer or
// shorter than declared is a bug the writer refuses instead of misaligning the archive.
#include "core/tar_writer.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "support/command.h"

namespace hasteward::core {
namespace {

using hasteward::testing::RunCommand;

TarEntry Directory(const std::string& path, uint32_t mode) {
  TarEntry entry;
  entry.path = path;
  entry.type = TarEntryType::kDirectory;
  entry.mode = mode;
  entry.mtime = 1700000000;
  return entry;
}

TarEntry File(const std::string& path, const std::string& content, uint32_t mode) {
  TarEntry entry;
  entry.path = path;
  entry.mode = mode;
  entry.mtime = 1700000123;
  entry.size = content.size();
  entry.user = "nobody";
  entry.group = "nogroup";
  return entry;
}

Status Add(TarWriter& tar, const TarEntry& entry, const std::string& content = "") {
  HS_TRY(tar.Begin(entry));
  if (!content.empty()) {
    HS_TRY(tar.Content().Write(AsBytes(content)));
  }
  return tar.End();
}

const std::string kLongDir = "pg_data/" + std::string(90, 'd');  // needs the ustar prefix
const std::string kLongName = std::string(120, 'n');             // fits nowhere: pax "path"

class TarWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("hs-tar-writer-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    TarWriter tar(sink_);
    ASSERT_TRUE(Add(tar, Directory("pg_data", 0700)).ok());
    ASSERT_TRUE(Add(tar, File("pg_data/PG_VERSION", "15\n", 0600), "15\n").ok());
    ASSERT_TRUE(Add(tar, File("pg_data/empty", "", 0640)).ok());
    std::string block(70000, 'x');  // crosses several 512-byte blocks, ends mid-block
    ASSERT_TRUE(Add(tar, File("pg_data/big", block, 0600), block).ok());
    TarEntry link;
    link.path = "pg_data/link";
    link.type = TarEntryType::kSymlink;
    link.link_target = "PG_VERSION";
    link.mode = 0777;
    ASSERT_TRUE(Add(tar, link).ok());
    ASSERT_TRUE(Add(tar, Directory(kLongDir, 0755)).ok());
    ASSERT_TRUE(Add(tar, File(kLongDir + "/f", "prefixed", 0644), "prefixed").ok());
    ASSERT_TRUE(Add(tar, File(kLongDir + "/" + kLongName, "pax", 0644), "pax").ok());
    ASSERT_TRUE(tar.Finish().ok());
    EXPECT_EQ(tar.bytes_written(), sink_.data().size());
    EXPECT_EQ(sink_.data().size() % TarReader::kBlock, 0U);
    archive_ = dir_->path() + "/a.tar";
    hasteward::testing::WriteFile(archive_, AsString(sink_.data()));
  }

  std::unique_ptr<TempDir> dir_;
  MemorySink sink_;
  std::string archive_;
};

TEST_F(TarWriterTest, GnuTarExtractsEveryMemberWithItsModeTimeAndContent) {
  std::string out = dir_->path() + "/out";
  std::filesystem::create_directory(out);
  auto extracted = RunCommand({"tar", "-xf", archive_, "-C", out});
  ASSERT_EQ(extracted.exit_code, 0) << extracted.err;
  EXPECT_EQ(*ReadFileToString(out + "/pg_data/PG_VERSION"), "15\n");
  EXPECT_EQ(*ReadFileToString(out + "/pg_data/big"), std::string(70000, 'x'));
  EXPECT_EQ(*ReadFileToString(out + "/pg_data/empty"), "");
  EXPECT_EQ(*ReadFileToString(out + "/" + kLongDir + "/f"), "prefixed");
  EXPECT_EQ(*ReadFileToString(out + "/" + kLongDir + "/" + kLongName), "pax");
  EXPECT_EQ(std::filesystem::read_symlink(out + "/pg_data/link"), "PG_VERSION");
  struct stat st {};
  ASSERT_EQ(::stat((out + "/pg_data/PG_VERSION").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);
  EXPECT_EQ(st.st_mtime, 1700000123);
  ASSERT_EQ(::stat((out + "/pg_data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700U);
  // GNU tar's own listing agrees, and the archive has no trailing garbage warning.
  auto listed = RunCommand({"tar", "-tvf", archive_});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(listed.err.empty()) << listed.err;
  EXPECT_NE(listed.out.find("nobody/nogroup"), std::string::npos) << listed.out;
}

TEST_F(TarWriterTest, PythonTarfileSeesTheSameNamesSizesAndTypes) {
  auto listed =
      RunCommand({"python3", "-c",
                  "import sys, tarfile\n"
                  "for m in tarfile.open(sys.argv[1]):\n"
                  "  print(m.name, m.size, 'd' if m.isdir() else 'l' if m.issym() else 'f')\n",
                  archive_});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out,
            "pg_data 0 d\npg_data/PG_VERSION 3 f\npg_data/empty 0 f\n"
            "pg_data/big 70000 f\npg_data/link 0 l\n" +
                kLongDir + " 0 d\n" + kLongDir + "/f 8 f\n" + kLongDir + "/" + kLongName +
                " 3 f\n");
}

TEST(TarWriterRecordsTest, PaxRecordsOnlyForWhatUstarCannotHold) {
  TarEntry plain = File("a/b", "", 0644);
  EXPECT_EQ(PaxRecordsFor(plain), "");
  TarEntry big = plain;
  big.size = uint64_t{9} << 30;  // 9 GiB: beyond 11 octal digits
  EXPECT_EQ(PaxRecordsFor(big), "19 size=9663676416\n");
  TarEntry owned = plain;
  owned.uid = 3000000;
  owned.user = std::string(40, 'u');
  EXPECT_EQ(PaxRecordsFor(owned), "15 uid=3000000\n50 uname=" + std::string(40, 'u') + "\n");
  // A record whose length crosses a digit boundary counts its own longer length: " uname=" and
  // 90 bytes and "\n" are 98, two more digits make 100, which takes three: 101.
  TarEntry edge = plain;
  edge.user = std::string(90, 'u');
  std::string record = PaxRecordsFor(edge);
  EXPECT_EQ(record, "101 uname=" + std::string(90, 'u') + "\n");
  EXPECT_EQ(record.size(), 101U);
  TarEntry link = plain;
  link.type = TarEntryType::kSymlink;
  link.link_target = std::string(101, 'l');
  EXPECT_EQ(PaxRecordsFor(link), "115 linkpath=" + std::string(101, 'l') + "\n");
}

TEST(TarWriterMisuseTest, ContentLongerOrShorterThanDeclaredIsRefused) {
  MemorySink sink;
  TarWriter tar(sink);
  ASSERT_TRUE(tar.Begin(File("f", "abc", 0644)).ok());
  EXPECT_EQ(tar.Content().Write(AsBytes(std::string("abcd"))).code(), ErrorCode::kInternal);
  ASSERT_TRUE(tar.Content().Write(AsBytes(std::string("ab"))).ok());
  EXPECT_EQ(tar.End().code(), ErrorCode::kInternal);
  EXPECT_EQ(tar.Begin(File("g", "", 0644)).code(), ErrorCode::kInternal);
  EXPECT_EQ(tar.Finish().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace hasteward::core
