// The mbstream reader against streams written by the real `mbstream -c` (the tool mariadb-backup
// shares its format with) and against hand-made chunks for what the tool never writes.
#include "engine/mariadb/mbstream_reader.h"

#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/temp_dir.h"
#include "support/command.h"

namespace hasteward::engine::mariadb {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace mbstream_reader_test {
namespace {

using hasteward::testing::RunCommand;
using hasteward::testing::WriteFile;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(size, '\0');
  for (auto& c : out) {
    c = static_cast<char>(gen() & 0xff);
  }
  return out;
}

// Every file of a stream: path -> content, read with a small buffer so chunks are split.
core::Result<std::map<std::string, std::string>> ReadStream(const std::string& stream) {
  core::MemorySource source(core::Bytes(stream.begin(), stream.end()));
  MbstreamReader reader(source);
  std::map<std::string, std::string> files;
  std::vector<uint8_t> buf(4096);
  for (;;) {
    HS_ASSIGN_OR_RETURN(auto path, reader.Next());
    if (!path) {
      return files;
    }
    std::string& content = files[*path];
    for (;;) {
      HS_ASSIGN_OR_RETURN(size_t n, reader.ReadContent(buf));
      if (n == 0) {
        break;
      }
      content.append(reinterpret_cast<const char*>(buf.data()), n);
    }
  }
}

std::string Le(uint64_t value, size_t bytes) {
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    out += static_cast<char>((value >> (8 * i)) & 0xff);
  }
  return out;
}

std::string Chunk(char type, const std::string& path, const std::string& payload = "",
                  uint64_t offset = 0) {
  std::string out = std::string("XBSTCK01") + '\0' + type + Le(path.size(), 4) + path;
  if (type == 'P') {
    auto crc = ::crc32(0L, reinterpret_cast<const Bytef*>(payload.data()),
                       static_cast<uInt>(payload.size()));
    out += Le(payload.size(), 8) + Le(offset, 8) + Le(crc, 4) + payload;
  }
  return out;
}

class MbstreamReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-mbstream-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
    ::mkdir((dir_->path() + "/shop").c_str(), 0700);
    files_["ibdata1"] = RandomBytes(3 * 1024 * 1024 + 17, 1);
    files_["shop/accounts.ibd"] = RandomBytes(65536 * 3, 2);
    files_["empty.opt"] = "";
    for (const auto& [name, content] : files_) {
      WriteFile(dir_->path() + "/" + name, content);
    }
    auto made = RunCommand(
        {"sh", "-c",
         "cd '" + dir_->path() + "' && mbstream -c ibdata1 shop/accounts.ibd empty.opt > s.mb"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    stream_ = ReadAll(dir_->path() + "/s.mb");
  }

  std::unique_ptr<core::TempDir> dir_;
  std::map<std::string, std::string> files_;
  std::string stream_;
};

TEST_F(MbstreamReaderTest, ReadsEveryFileOfARealStreamWholeAndInOrder) {
  auto files = ReadStream(stream_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(*files, files_);
}

TEST_F(MbstreamReaderTest, AStreamCutShortIsAFailedBackup) {
  for (size_t cut : {stream_.size() / 2, stream_.size() - 3, size_t{10}}) {
    auto files = ReadStream(stream_.substr(0, cut));
    ASSERT_FALSE(files.ok()) << "cut at " << cut;
    EXPECT_EQ(files.status().code(), core::ErrorCode::kDumpFailed) << files.status().ToString();
  }
}

TEST_F(MbstreamReaderTest, AChangedPayloadByteFailsItsChecksum) {
  std::string damaged = stream_;
  damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x40);
  auto files = ReadStream(damaged);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), core::ErrorCode::kCorruption);
}

// What mariadb-backup sends under a write load: the redo log's chunks in the middle of a data
// file's. Every file comes out whole, none mixed with another.
TEST(MbstreamReaderChunksTest, InterleavedFilesAreReassembledEachWhole) {
  std::string big = RandomBytes(200000, 3);
  auto files = ReadStream(Chunk('P', "a", "one") + Chunk('P', "b", "two") +
                          Chunk('P', "ib_logfile0", big.substr(0, 70000)) + Chunk('E', "b") +
                          Chunk('P', "a", "three", 3) +
                          Chunk('P', "ib_logfile0", big.substr(70000), 70000) + Chunk('E', "a") +
                          Chunk('P', "c", "four") + Chunk('E', "ib_logfile0") + Chunk('E', "c"));
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::map<std::string, std::string> want = {
      {"a", "onethree"}, {"b", "two"}, {"c", "four"}, {"ib_logfile0", big}};
  EXPECT_EQ(*files, want);
}

// The redo log is spooled from its first chunk, so the data file after it streams even when the
// log's chunks keep arriving in its middle; the log comes out after the file it interrupted.
TEST(MbstreamReaderChunksTest, TheRedoLogNeverHoldsBackTheDataFiles) {
  std::string stream = Chunk('P', "ib_logfile0", "log1") + Chunk('P', "d.ibd", "page") +
                       Chunk('P', "ib_logfile0", "log2", 4) + Chunk('E', "ib_logfile0") +
                       Chunk('E', "d.ibd");
  core::MemorySource memory(core::Bytes(stream.begin(), stream.end()));
  MbstreamReader reader(memory);
  auto first = reader.Next();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->value_or(""), "d.ibd");
  auto files = ReadStream(stream);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(files->at("ib_logfile0"), "log1log2");
  EXPECT_EQ(files->at("d.ibd"), "page");
}

TEST(MbstreamReaderChunksTest, AnInterleavedFileThatNeverEndsIsAFailedBackup) {
  auto files =
      ReadStream(Chunk('P', "a", "one") + Chunk('P', "ib_logfile0", "log") + Chunk('E', "a"));
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), core::ErrorCode::kDumpFailed) << files.status().ToString();
  EXPECT_NE(files.status().message().find("ib_logfile0"), std::string::npos);
}

TEST(MbstreamReaderChunksTest, AnInterleavedChunkThatSkipsOrRepeatsBytesIsRefused) {
  for (uint64_t offset : {uint64_t{0}, uint64_t{5}}) {
    auto files = ReadStream(Chunk('P', "a", "one") + Chunk('P', "b", "two") +
                            Chunk('P', "b", "three", offset) + Chunk('E', "b") + Chunk('E', "a"));
    ASSERT_FALSE(files.ok()) << offset;
    EXPECT_EQ(files.status().code(), core::ErrorCode::kCorruption) << offset;
  }
}

TEST(MbstreamReaderChunksTest, AFileSentAgainAfterItsEndIsRefused) {
  for (const std::string& stream :
       {Chunk('P', "a", "one") + Chunk('E', "a") + Chunk('P', "a", "two") + Chunk('E', "a"),
        Chunk('P', "a", "one") + Chunk('P', "b", "x") + Chunk('E', "b") + Chunk('E', "a") +
            Chunk('P', "c", "y") + Chunk('P', "b", "again") + Chunk('E', "c")}) {
    auto files = ReadStream(stream);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.status().code(), core::ErrorCode::kCorruption) << files.status().ToString();
  }
}

TEST(MbstreamReaderChunksTest, ADamagedInterleavedChunkFailsItsChecksum) {
  std::string stream =
      Chunk('P', "a", "one") + Chunk('P', "b", "payload") + Chunk('E', "b") + Chunk('E', "a");
  stream[stream.find("payload")] = 'P';
  auto files = ReadStream(stream);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), core::ErrorCode::kCorruption);
}

TEST(MbstreamReaderChunksTest, AnOffsetThatSkipsBytesIsRefused) {
  auto files = ReadStream(Chunk('P', "a", "one") + Chunk('P', "a", "two", 7) + Chunk('E', "a"));
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), core::ErrorCode::kCorruption);
}

TEST(MbstreamReaderChunksTest, PathsLeavingTheDataDirectoryAreRefused) {
  for (const char* path : {"../etc/passwd", "/etc/passwd", "a/../../b", "a//b"}) {
    auto files = ReadStream(Chunk('P', path, "x") + Chunk('E', path));
    ASSERT_FALSE(files.ok()) << path;
    EXPECT_EQ(files.status().code(), core::ErrorCode::kCorruption) << path;
  }
}

TEST(MbstreamReaderChunksTest, SplitChunksOfOneFileJoinAndAnEmptyStreamHasNoFiles) {
  auto files = ReadStream(Chunk('P', "d/f", "ab") + Chunk('P', "d/f", "cd", 2) + Chunk('E', "d/f"));
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(files->at("d/f"), "abcd");
  auto none = ReadStream("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto garbage = ReadStream("XBSTCK02 not a stream at all");
  EXPECT_EQ(garbage.status().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace mbstream_reader_test
}  // namespace hasteward::engine::mariadb
