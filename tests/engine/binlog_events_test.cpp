#include "engine/mariadb/binlog_events.h"

#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/os_user.h"
#include "core/poll_until.h"
#include "core/subprocess.h"
#include "core/temp_dir.h"

namespace hasteward::engine::mariadb {
namespace {

// A throwaway MariaDB 10.11 (server id 7, row binlogs in <dir>/data/bl.NNNNNN) on a socket only,
// taken down with its directory on destruction.
class ScratchMariadb {
 public:
  static core::Result<std::unique_ptr<ScratchMariadb>> Start() {
    HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::Create("hasteward-binlog-test-"));
    std::unique_ptr<ScratchMariadb> server(new ScratchMariadb(std::move(dir)));
    // Its own tmpdir: a starting mariadbd deletes every #sql* file in its tmpdir.
    HS_TRY(core::MakeDirs(server->Path("tmp")));
    HS_TRY(server->Install());
    HS_TRY(server->Launch());
    return server;
  }
  ~ScratchMariadb() {
    if (server_) {
      server_->Signal(SIGTERM);
      server_->WaitFor(std::chrono::seconds(30));
    }
  }
  ScratchMariadb(const ScratchMariadb&) = delete;
  ScratchMariadb& operator=(const ScratchMariadb&) = delete;

  // Runs statements in one session (so session settings apply to the ones after them).
  core::Status Sql(const std::string& statements) const {
    core::SubprocessOptions options;
    options.argv = {"mariadb", "--no-defaults", "--socket=" + Path("mariadbd.sock"),
                    "-u",      user_,           "--batch",
                    "-e",      statements};
    return core::RunChecked(options).status();
  }
  std::string BinlogPath(int number) const {
    std::string digits = std::to_string(number);
    return Path("data/bl." + std::string(6 - digits.size(), '0') + digits);
  }

 private:
  explicit ScratchMariadb(core::TempDir dir)
      : dir_(std::move(dir)), user_(core::CurrentOsUser().name) {}
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  core::Status Install() const {
    core::SubprocessOptions options;
    options.argv = {
        "mariadb-install-db",      "--no-defaults",      "--datadir=" + Path("data"),
        "--tmpdir=" + Path("tmp"), "--user=" + user_,    "--auth-root-authentication-method=socket",
        "--skip-test-db",          "--skip-name-resolve"};
    return core::RunChecked(options).status();
  }

  core::Status Launch() {
    core::SubprocessOptions options;
    options.argv = {"mariadbd",
                    "--no-defaults",
                    "--datadir=" + Path("data"),
                    "--tmpdir=" + Path("tmp"),
                    "--user=" + user_,
                    "--socket=" + Path("mariadbd.sock"),
                    "--skip-networking",
                    "--log-bin=" + Path("data/bl"),
                    "--server-id=7",
                    "--binlog-format=ROW",
                    "--log-error=" + Path("error.log"),
                    "--pid-file=" + Path("mariadbd.pid"),
                    "--innodb-buffer-pool-size=32M",
                    "--performance-schema=OFF"};
    options.stdout_mode = core::StdioMode::kNull;
    HS_ASSIGN_OR_RETURN(server_, core::Subprocess::Start(options));
    if (!core::PollUntil([&] { return Sql("SELECT 1").ok(); }, std::chrono::seconds(60))) {
      return core::Status(core::ErrorCode::kTimeout,
                          "scratch mariadbd did not accept connections; see " + Path("error.log"));
    }
    return core::Status::Ok();
  }

  core::TempDir dir_;
  std::string user_;
  std::unique_ptr<core::Subprocess> server_;
};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The time of an event line's "#YYMMDD HH:MM:SS" (UTC) as seconds since the epoch.
uint32_t UnixSecondsUtc(const std::smatch& event_line) {
  std::tm time{};
  time.tm_year = 100 + std::stoi(event_line[1]);
  time.tm_mon = std::stoi(event_line[2]) - 1;
  time.tm_mday = std::stoi(event_line[3]);
  time.tm_hour = std::stoi(event_line[4]);
  time.tm_min = std::stoi(event_line[5]);
  time.tm_sec = std::stoi(event_line[6]);
  return static_cast<uint32_t>(timegm(&time));
}

// What the oracle, mariadb-binlog, says about a file: the Gtid_list and each GTID's group (from
// its GTID event to the last event before the next GTID or between-transactions event).
struct OracleFile {
  std::string gtid_list;
  std::vector<BinlogTransaction> transactions;
  size_t compressed_events = 0;  // Query_compressed, Write_compressed_rows, ...
};

OracleFile AskMariadbBinlog(const std::string& path) {
  core::SubprocessOptions options;
  options.argv = {"mariadb-binlog", "--no-defaults", path};
  options.env_set["TZ"] = "UTC";
  auto text = core::RunChecked(options);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  OracleFile oracle;
  std::optional<BinlogTransaction> open;
  uint64_t at = 0;
  uint64_t last_end = 0;
  auto close_open = [&] {
    if (open) {
      open->end_offset = last_end;
      oracle.transactions.push_back(*open);
      open.reset();
    }
  };
  const std::regex at_line(R"(^# at (\d+)$)");
  // mariadb-binlog prints "#YYMMDD HH:MM:SS" in TZ (UTC here), then the end position.
  const std::regex event_line(
      R"(^#(\d\d)(\d\d)(\d\d) ([ \d]\d):(\d\d):(\d\d) server id \d+\s+end_log_pos (\d+)[^\t]*\t(.*)$)");
  const std::regex gtid_text(R"(^GTID (\d+)-(\d+)-(\d+))");
  const std::regex gtid_list_text(R"(^Gtid list \[([^\]]*)(\]?))");
  std::istringstream lines(text.ok() ? *text : "");
  std::smatch match;
  bool in_gtid_list = false;  // it prints one GTID a line: "Gtid list [0-7-17,", "# 3-7-1]"
  for (std::string line; std::getline(lines, line);) {
    if (in_gtid_list && line.starts_with("# ")) {
      oracle.gtid_list += line.substr(2, line.find(']') - 2);
      in_gtid_list = line.find(']') == std::string::npos;
      continue;
    }
    if (std::regex_match(line, match, at_line)) {
      at = std::stoull(match[1]);
      continue;
    }
    if (!std::regex_match(line, match, event_line))
      continue;
    const uint64_t end = std::stoull(match[7]);
    const std::string description = match[8];
    if (description.find("_compressed") != std::string::npos)
      ++oracle.compressed_events;
    std::smatch fields;
    if (std::regex_search(description, fields, gtid_text)) {
      close_open();
      open = BinlogTransaction{};
      open->gtid = {static_cast<uint32_t>(std::stoul(fields[1])),
                    static_cast<uint32_t>(std::stoul(fields[2])), std::stoull(fields[3])};
      open->start_offset = at;
      open->timestamp = UnixSecondsUtc(match);
    } else if (description.starts_with("Binlog checkpoint") ||
               description.starts_with("Rotate to") || description.starts_with("Stop") ||
               description.starts_with("Start:") || description.starts_with("Gtid list")) {
      close_open();
      if (std::regex_search(description, fields, gtid_list_text)) {
        oracle.gtid_list = fields[1];
        in_gtid_list = fields[2] != "]";
      }
    }
    last_end = end;
  }
  close_open();
  return oracle;
}

// The binlog files one scratch server wrote, read while it still ran, with the oracle's reading.
struct WrittenBinlog {
  std::string bytes;
  OracleFile oracle;
};
struct WrittenBinlogs {
  std::string error;            // why they could not be written ("" = written)
  WrittenBinlog checked;        // bl.000001: every way a transaction ends, CRC-32s, closed by FLUSH
  WrittenBinlog after_checked;  // bl.000002: one transaction in domain 0, one in 3, closed by
                                // binlog_checksum=NONE
  WrittenBinlog unchecked;  // bl.000003: binlog_checksum=NONE, compressed events, closed by FLUSH
  WrittenBinlog open;       // bl.000004: still being written when read
};

// The transactions bl.000001 holds, in the order written: each way a group ends.
constexpr size_t kCheckedTransactions = 10;

// A rollback that could not undo MyISAM: the group ends with a ROLLBACK query.
constexpr const char* kRollbackPastMyisam =
    "SET SESSION binlog_format=STATEMENT; BEGIN; INSERT INTO d.t VALUES (4, 'r'); "
    "INSERT INTO d.m (v) VALUES (4); ROLLBACK";
// XA: one group ends with an XA_PREPARE event, the next with an XA COMMIT query.
constexpr const char* kPreparedThenCommittedXa =
    "XA START 'x1'; INSERT INTO d.t VALUES (5, 'xa'); XA END 'x1'; XA PREPARE 'x1'; "
    "XA COMMIT 'x1'";

// A DDL longer than log_bin_compress_min_len (256), so it is logged compressed.
constexpr const char* kCompressedDdl =
    "CREATE TABLE d.big (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB COMMENT "
    "'a table comment long enough to make this statement pass the 256 bytes from which the "
    "server compresses a statement in the binlog when log_bin_compress is on, so the scanner "
    "meets a Query_compressed event as the one statement of a standalone group'";

core::Status WriteBinlogs(const ScratchMariadb& server) {
  for (const char* statements :
       {"CREATE DATABASE d",  // a standalone DDL group
        "CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB",
        "INSERT INTO d.t VALUES (1, 'autocommit')",  // ends with Xid
        "BEGIN; INSERT INTO d.t VALUES (2, 'b'); INSERT INTO d.t VALUES (3, 'c'); COMMIT",
        "CREATE TABLE d.m (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=MyISAM",
        "INSERT INTO d.m (v) VALUES (1)",  // non-transactional: ends with a COMMIT query
        // Statement logging: Intvar and User_var events before the statement.
        "SET SESSION binlog_format=STATEMENT; SET @x = 5; INSERT INTO d.m (v) VALUES (@x)",
        kRollbackPastMyisam, kPreparedThenCommittedXa, "FLUSH BINARY LOGS",
        "INSERT INTO d.t VALUES (6, 'second file')",
        "SET SESSION gtid_domain_id = 3; INSERT INTO d.t VALUES (16, 'domain 3')",
        "SET GLOBAL binlog_checksum = NONE", "INSERT INTO d.t VALUES (7, 'unchecked')",
        "BEGIN; INSERT INTO d.t VALUES (8, 'h'); INSERT INTO d.m (v) VALUES (8); COMMIT",
        // Compressed events (a Query_compressed DDL, compressed rows) inside groups.
        "SET GLOBAL log_bin_compress = ON", kCompressedDdl,
        "INSERT INTO d.big VALUES (1, REPEAT('z', 2000))", "SET GLOBAL log_bin_compress = OFF",
        "FLUSH BINARY LOGS", "INSERT INTO d.t VALUES (9, 'open')",
        "INSERT INTO d.m (v) VALUES (9)"}) {
    HS_TRY(server.Sql(statements).Wrap(statements));
  }
  return core::Status::Ok();
}

WrittenBinlog ReadBinlog(const ScratchMariadb& server, int number) {
  WrittenBinlog binlog;
  binlog.bytes = ReadWholeFile(server.BinlogPath(number));
  binlog.oracle = AskMariadbBinlog(server.BinlogPath(number));
  return binlog;
}

class BinlogEventsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    binlogs_ = std::make_unique<WrittenBinlogs>();
    auto server = ScratchMariadb::Start();
    if (!server.ok()) {
      binlogs_->error = server.status().ToString();
      return;
    }
    if (core::Status written = WriteBinlogs(**server); !written.ok()) {
      binlogs_->error = written.ToString();
      return;
    }
    binlogs_->checked = ReadBinlog(**server, 1);
    binlogs_->after_checked = ReadBinlog(**server, 2);
    binlogs_->unchecked = ReadBinlog(**server, 3);
    binlogs_->open = ReadBinlog(**server, 4);  // before the server stops and closes it
  }
  static void TearDownTestSuite() { binlogs_.reset(); }
  void SetUp() override { ASSERT_EQ(binlogs_->error, ""); }

  static const WrittenBinlogs& binlogs() { return *binlogs_; }

 private:
  static inline std::unique_ptr<WrittenBinlogs> binlogs_;
};

BinlogHeader HeaderOf(const std::string& bytes) {
  auto header = ReadBinlogHeader(bytes);
  EXPECT_TRUE(header.ok()) << header.status().ToString();
  return header.ok() ? *header : BinlogHeader{};
}

// Scans the whole file after its header.
BinlogScan ScanAfterHeader(const std::string& bytes, const BinlogHeader& header) {
  auto scan =
      ScanBinlog(std::string_view(bytes).substr(header.header_end), header.header_end, header);
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  return scan.ok() ? *scan : BinlogScan{};
}

void ExpectOracleTransactions(const BinlogScan& scan, const OracleFile& oracle) {
  ASSERT_EQ(scan.transactions.size(), oracle.transactions.size());
  for (size_t i = 0; i < scan.transactions.size(); ++i) {
    const BinlogTransaction& mine = scan.transactions[i];
    const BinlogTransaction& theirs = oracle.transactions[i];
    EXPECT_EQ(mine.gtid.ToString(), theirs.gtid.ToString()) << "transaction " << i;
    EXPECT_EQ(mine.start_offset, theirs.start_offset) << mine.gtid.ToString();
    EXPECT_EQ(mine.end_offset, theirs.end_offset) << mine.gtid.ToString();
    EXPECT_EQ(mine.timestamp, theirs.timestamp) << mine.gtid.ToString();
  }
}

TEST_F(BinlogEventsTest, ReadsHeaderOfChecksummedFile) {
  const WrittenBinlog& file = binlogs().checked;
  BinlogHeader header = HeaderOf(file.bytes);
  EXPECT_TRUE(header.checksums);
  EXPECT_EQ(header.server_id, 7U);
  EXPECT_EQ(header.gtid_list, "");  // the server's first file
  EXPECT_EQ(header.gtid_list, file.oracle.gtid_list);
  ASSERT_FALSE(file.oracle.transactions.empty());
  EXPECT_EQ(header.header_end, file.oracle.transactions.front().start_offset);
  EXPECT_GT(header.created, 0U);
  EXPECT_LE(header.created, file.oracle.transactions.front().timestamp);
}

TEST_F(BinlogEventsTest, FindsEveryKindOfTransactionEndLikeMariadbBinlog) {
  const WrittenBinlog& file = binlogs().checked;
  BinlogScan scan = ScanAfterHeader(file.bytes, HeaderOf(file.bytes));
  EXPECT_EQ(scan.transactions.size(), kCheckedTransactions);
  ExpectOracleTransactions(scan, file.oracle);
  EXPECT_TRUE(scan.sealed);
  EXPECT_EQ(scan.sealed_end, file.bytes.size());
  EXPECT_EQ(scan.complete_end, file.bytes.size());
}

TEST_F(BinlogEventsTest, NextFileStartsFromTheStateAfterThePrevious) {
  BinlogScan first = ScanAfterHeader(binlogs().checked.bytes, HeaderOf(binlogs().checked.bytes));
  ASSERT_FALSE(first.transactions.empty());
  const WrittenBinlog& second = binlogs().after_checked;
  BinlogHeader header = HeaderOf(second.bytes);
  EXPECT_EQ(header.gtid_list, first.transactions.back().gtid.ToString());
  EXPECT_EQ(header.gtid_list, second.oracle.gtid_list);
  BinlogScan scan = ScanAfterHeader(second.bytes, header);
  ExpectOracleTransactions(scan, second.oracle);
  ASSERT_EQ(scan.transactions.size(), 2U);
  EXPECT_EQ(scan.transactions[0].gtid.sequence, first.transactions.back().gtid.sequence + 1);
  EXPECT_EQ(scan.transactions[1].gtid.domain, 3U);
  EXPECT_TRUE(scan.sealed);
}

TEST_F(BinlogEventsTest, ScansFileWithoutChecksums) {
  const WrittenBinlog& file = binlogs().unchecked;
  BinlogHeader header = HeaderOf(file.bytes);
  EXPECT_FALSE(header.checksums);
  EXPECT_EQ(header.gtid_list, file.oracle.gtid_list);
  EXPECT_NE(header.gtid_list.find("3-7-"), std::string::npos);  // both domains
  EXPECT_NE(header.gtid_list.find(','), std::string::npos);
  BinlogScan scan = ScanAfterHeader(file.bytes, header);
  // The MyISAM row of the mixed transaction is logged as a group of its own before it; then the
  // compressed DDL and insert.
  EXPECT_EQ(scan.transactions.size(), 5U);
  EXPECT_EQ(file.oracle.compressed_events, 2U);
  ExpectOracleTransactions(scan, file.oracle);
  EXPECT_TRUE(scan.sealed);
  EXPECT_EQ(scan.sealed_end, file.bytes.size());
}

TEST_F(BinlogEventsTest, OpenFileCompletesAtItsLastCommittedTransaction) {
  const WrittenBinlog& file = binlogs().open;
  BinlogScan scan = ScanAfterHeader(file.bytes, HeaderOf(file.bytes));
  EXPECT_EQ(scan.transactions.size(), 2U);
  ExpectOracleTransactions(scan, file.oracle);
  EXPECT_FALSE(scan.sealed);
  ASSERT_FALSE(scan.transactions.empty());
  // Only a Binlog_checkpoint (whole, between transactions) may follow the last transaction.
  EXPECT_GE(scan.complete_end, scan.transactions.back().end_offset);
  EXPECT_EQ(scan.complete_end, file.bytes.size());
}

// Every cut of `bytes`: the header is "too short" until whole; a scan of the cut is ok, its
// transactions are a prefix of the whole file's, it never passes the cut, and scanning on from
// its complete_end finds exactly the rest.
void ExpectEveryCutScansAsPrefix(const std::string& bytes) {
  const std::string_view file(bytes);
  BinlogHeader header = HeaderOf(bytes);
  for (size_t cut = 0; cut < header.header_end; ++cut) {
    auto partial = ReadBinlogHeader(file.substr(0, cut));
    ASSERT_EQ(partial.status().code(), kBinlogHeadTooShort) << "cut " << cut;
    ASSERT_TRUE(partial.status().retryable());
  }
  BinlogScan whole = ScanAfterHeader(bytes, header);
  for (size_t cut = header.header_end; cut <= bytes.size(); ++cut) {
    auto part = ScanBinlog(file.substr(header.header_end, cut - header.header_end),
                           header.header_end, header);
    ASSERT_TRUE(part.ok()) << "cut " << cut << ": " << part.status().ToString();
    ASSERT_LE(part->complete_end, cut);
    ASSERT_LE(part->transactions.size(), whole.transactions.size());
    for (size_t i = 0; i < part->transactions.size(); ++i) {
      ASSERT_EQ(part->transactions[i].end_offset, whole.transactions[i].end_offset);
    }
    ASSERT_EQ(part->sealed, cut == bytes.size() && whole.sealed) << "cut " << cut;
    auto rest = ScanBinlog(file.substr(part->complete_end), part->complete_end, header);
    ASSERT_TRUE(rest.ok()) << "from " << part->complete_end << ": " << rest.status().ToString();
    ASSERT_EQ(part->transactions.size() + rest->transactions.size(), whole.transactions.size());
  }
}

TEST_F(BinlogEventsTest, EveryCutOfChecksummedFileScansAsPrefix) {
  ExpectEveryCutScansAsPrefix(binlogs().checked.bytes);
}

TEST_F(BinlogEventsTest, EveryCutOfUncheckedFileScansAsPrefix) {
  ExpectEveryCutScansAsPrefix(binlogs().unchecked.bytes);
}

TEST_F(BinlogEventsTest, FlippedByteIsCorruptionNamingItsEvent) {
  const std::string& bytes = binlogs().checked.bytes;
  BinlogHeader header = HeaderOf(bytes);
  BinlogScan whole = ScanAfterHeader(bytes, header);
  ASSERT_EQ(whole.transactions.size(), kCheckedTransactions);
  // A byte of each transaction's GTID event body (its sequence number), then of its size field.
  for (size_t size_field : {size_t{0}, size_t{1}}) {
    for (const BinlogTransaction& transaction : whole.transactions) {
      std::string damaged = bytes;
      damaged[transaction.start_offset + (size_field != 0 ? 9 : 19)] ^= 0x01;
      auto scan = ScanBinlog(std::string_view(damaged).substr(header.header_end), header.header_end,
                             header);
      ASSERT_FALSE(scan.ok()) << transaction.gtid.ToString();
      EXPECT_EQ(scan.status().code(), core::ErrorCode::kCorruption);
      EXPECT_NE(
          scan.status().message().find("offset " + std::to_string(transaction.start_offset) + ":"),
          std::string::npos)
          << scan.status().message();
    }
  }
}

TEST_F(BinlogEventsTest, FlippedByteInLastEventIsCorruption) {
  const std::string& bytes = binlogs().checked.bytes;
  BinlogHeader header = HeaderOf(bytes);
  BinlogScan whole = ScanAfterHeader(bytes, header);
  for (const BinlogTransaction& transaction : whole.transactions) {
    std::string damaged = bytes;
    damaged[transaction.end_offset - 5] ^= 0x20;  // the last byte before the CRC-32
    auto scan =
        ScanBinlog(std::string_view(damaged).substr(header.header_end), header.header_end, header);
    ASSERT_FALSE(scan.ok()) << transaction.gtid.ToString();
    EXPECT_EQ(scan.status().code(), core::ErrorCode::kCorruption);
    EXPECT_NE(scan.status().message().find("CRC-32"), std::string::npos);
  }
}

TEST_F(BinlogEventsTest, DamagedHeaderIsCorruption) {
  std::string wrong_magic = binlogs().checked.bytes;
  wrong_magic[1] = 'B';
  EXPECT_EQ(ReadBinlogHeader(wrong_magic).status().code(), core::ErrorCode::kCorruption);
  std::string damaged_description = binlogs().checked.bytes;
  damaged_description[30] ^= 0x01;  // the server version text, covered by the CRC-32
  auto header = ReadBinlogHeader(damaged_description);
  EXPECT_EQ(header.status().code(), core::ErrorCode::kCorruption);
  EXPECT_NE(header.status().message().find("offset 4:"), std::string::npos)
      << header.status().message();
}

TEST_F(BinlogEventsTest, HeadCutShortIsRetryable) {
  auto header = ReadBinlogHeader(std::string_view(binlogs().checked.bytes).substr(0, 100));
  EXPECT_EQ(header.status().code(), kBinlogHeadTooShort);
  EXPECT_TRUE(header.status().retryable());
  EXPECT_EQ(ReadBinlogHeader("").status().code(), kBinlogHeadTooShort);
}

TEST_F(BinlogEventsTest, ScanFromInsideTheHeaderIsRefused) {
  const std::string& bytes = binlogs().checked.bytes;
  BinlogHeader header = HeaderOf(bytes);
  auto scan = ScanBinlog(std::string_view(bytes).substr(4), 4, header);
  EXPECT_FALSE(scan.ok());
}

TEST_F(BinlogEventsTest, BytesAfterTheClosingEventAreCorruption) {
  const std::string& bytes = binlogs().checked.bytes;
  BinlogHeader header = HeaderOf(bytes);
  std::string extended = bytes + std::string(3, '\0');
  auto scan =
      ScanBinlog(std::string_view(extended).substr(header.header_end), header.header_end, header);
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(scan.status().code(), core::ErrorCode::kCorruption);
}

TEST_F(BinlogEventsTest, EventServerIdsOfAServersFileAreItsOwn) {
  auto ids = BinlogEventServerIds(binlogs().checked.bytes);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, (std::set<uint32_t>{7}));
}

// A bare event header: size 19, `server_id`; positions and types are not read.
std::string BareEvent(uint32_t server_id) {
  std::string event(19, '\0');
  for (size_t byte = 0; byte < 4; ++byte) {
    event[5 + byte] = static_cast<char>((server_id >> (8 * byte)) & 0xff);
  }
  event[9] = 19;
  return event;
}

TEST(BinlogEventServerIdsTest, FollowsSizesOnlySoAReplayFileWithGapsReads) {
  // Positions (log_pos) are zero here, as they are "wrong" in a file of chosen transactions.
  std::string file = std::string(
                         "\xfe"
                         "bin",
                         4) +
                     BareEvent(1) + BareEvent(2) + BareEvent(1);
  auto ids = BinlogEventServerIds(file);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, (std::set<uint32_t>{1, 2}));
}

TEST(BinlogEventServerIdsTest, AnEventThatDoesNotFitOrNoMagicIsCorruption) {
  std::string file = std::string(
                         "\xfe"
                         "bin",
                         4) +
                     BareEvent(1);
  EXPECT_EQ(BinlogEventServerIds(file.substr(0, file.size() - 1)).status().code(),
            core::ErrorCode::kCorruption);
  EXPECT_EQ(BinlogEventServerIds("nobinlog").status().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::engine::mariadb
