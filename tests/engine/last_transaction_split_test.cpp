// A Galera replay's input cut before its last transaction: every transaction but the last for
// the parallel applier, the last alone after its file's header, its GTID read from its event.
#include "engine/mariadb/last_transaction_split.h"

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/temp_dir.h"

namespace hasteward::engine::mariadb {
namespace {

constexpr uint8_t kGtidEvent = 162;
constexpr uint8_t kFormatDescription = 15;
constexpr uint8_t kXid = 16;

void PutLittleEndian(std::string& bytes, size_t at, uint64_t value, size_t width) {
  for (size_t byte = 0; byte < width; ++byte) {
    bytes[at + byte] = static_cast<char>((value >> (8 * byte)) & 0xff);
  }
}

// An event of `type` from `server_id` with `body`; positions and checksums are not read.
std::string Event(uint8_t type, uint32_t server_id, const std::string& body) {
  std::string event(19, '\0');
  event[4] = static_cast<char>(type);
  PutLittleEndian(event, 5, server_id, 4);
  PutLittleEndian(event, 9, 19 + body.size(), 4);
  return event + body;
}

// A transaction: its GTID event (sequence number, domain, flags) and a commit.
std::string Transaction(uint32_t domain, uint32_t server_id, uint64_t sequence) {
  std::string body(13, '\0');
  PutLittleEndian(body, 0, sequence, 8);
  PutLittleEndian(body, 8, domain, 4);
  return Event(kGtidEvent, server_id, body) + Event(kXid, server_id, std::string(8, 'x'));
}

std::string Header(uint32_t server_id) {
  return std::string(
             "\xfe"
             "bin",
             4) +
         Event(kFormatDescription, server_id, std::string(10, 'f'));
}

class LastTransactionSplitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-last-split-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(dir).value());
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = dir_->path() + "/" + name;
    EXPECT_TRUE(core::WriteFileAtomically(path, core::AsBytes(bytes)).ok());
    return path;
  }
  std::string Read(const std::string& path) { return core::ReadFileToString(path).value(); }
  std::unique_ptr<core::TempDir> dir_;
};

TEST_F(LastTransactionSplitTest, TheLastFilesLastTransactionGoesAloneAfterItsHeader) {
  std::string first = Write("0.binlog", Header(1) + Transaction(1, 1, 11) + Transaction(1, 1, 12));
  std::string second = Write("1.binlog", Header(2) + Transaction(1, 2, 13) + Transaction(1, 2, 14));
  auto split = SplitOffLastTransaction({first, second}, dir_->path());
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->before_transactions, 3u);
  ASSERT_EQ(split->before_paths.size(), 2u);
  EXPECT_EQ(split->before_paths[0], first);
  EXPECT_EQ(Read(split->before_paths[1]), Header(2) + Transaction(1, 2, 13));
  EXPECT_EQ(Read(split->last_path), Header(2) + Transaction(1, 2, 14));
  EXPECT_EQ(split->last_gtid.ToString(), "1-2-14");
}

TEST_F(LastTransactionSplitTest, FilesWithoutTransactionsAreLeftOut) {
  std::string first = Write("0.binlog", Header(1) + Transaction(1, 1, 11));
  std::string second = Write("1.binlog", Header(1) + Transaction(1, 1, 12));
  std::string empty = Write("2.binlog", Header(1));
  auto split = SplitOffLastTransaction({first, second, empty}, dir_->path());
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->before_paths, std::vector<std::string>{first});
  EXPECT_EQ(split->before_transactions, 1u);
  EXPECT_EQ(Read(split->last_path), Header(1) + Transaction(1, 1, 12));
}

TEST_F(LastTransactionSplitTest, ASingleTransactionLeavesNothingForTheApplier) {
  std::string only = Write("0.binlog", Header(1) + Transaction(1, 1, 11));
  auto split = SplitOffLastTransaction({only}, dir_->path());
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_TRUE(split->before_paths.empty());
  EXPECT_EQ(split->before_transactions, 0u);
}

TEST_F(LastTransactionSplitTest, NoTransactionOrADamagedEventIsAnError) {
  std::string empty = Write("0.binlog", Header(1));
  EXPECT_EQ(SplitOffLastTransaction({empty}, dir_->path()).status().code(),
            core::ErrorCode::kNotFound);
  std::string cut = Header(1) + Transaction(1, 1, 11);
  cut.pop_back();
  std::string damaged = Write("1.binlog", cut);
  EXPECT_EQ(SplitOffLastTransaction({damaged}, dir_->path()).status().code(),
            core::ErrorCode::kCorruption);
}

TEST(StateBeforeLastTest, ItsDomainGoesOneSequenceNumberBack) {
  BinlogGtid last{1, 2, 42};
  EXPECT_EQ(StateBeforeLast("0-1-5,1-2-42", last), "0-1-5,1-2-41");
  EXPECT_EQ(StateBeforeLast("1-2-42", last), "1-2-41");
  EXPECT_EQ(StateBeforeLast("1-2-1", BinlogGtid{1, 2, 1}), "");
}

}  // namespace
}  // namespace hasteward::engine::mariadb
