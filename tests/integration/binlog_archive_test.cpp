// `hasteward archive binlog` on a real MariaDB replication sandbox, stock restic as the referee:
// the pieces of every archived binlog file, restored by `restic restore` and concatenated in
// offset order, are that file's bytes on the server, the active file's tail included (the archive
// reaches the server's gtid_binlog_pos without a FLUSH); a cycle with nothing new stores nothing;
// binlog numbering that starts again (RESET MASTER) does not collide with the archived files of
// the same name; after a switchover the archive follows the new primary and continues at its GTID.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <dirent.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"
#include "support/story_suite.h"

namespace hasteward::testing {
namespace {

class BinlogArchiveTest : public StorySuite<BinlogArchiveTest> {
 public:
  static SandboxCluster::Options Story() { return AsyncMariadbStory(2, "ba"); }
  static constexpr const char* kTempPrefix = "hs-binlog-";

 protected:
  // One archiving run: the JSON report of each of its cycles (one line each).
  static std::vector<nlohmann::json> ArchiveCycles() {
    auto run = hs_->Run(
        {"archive", "binlog", "-e", "mariadb", "-c", sc_->cluster().name, "-n", "ba", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    std::vector<nlohmann::json> cycles;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
      cycles.push_back(nlohmann::json::parse(line, nullptr, false));
      EXPECT_FALSE(cycles.back().is_discarded()) << line;
    }
    EXPECT_FALSE(cycles.empty()) << run.err;
    return cycles;
  }
  // A run that fits one cycle; its report.
  static nlohmann::json Archive() {
    std::vector<nlohmann::json> cycles = ArchiveCycles();
    EXPECT_EQ(cycles.size(), 1U);
    return cycles.empty() ? nlohmann::json::object() : cycles.back();
  }
  // Every binlog snapshot restored by stock restic into one directory; returns its binlog dir.
  static std::string RestoreAllPieces(const std::string& name) {
    std::string target = hs_->Path(name);
    auto list = hs_->Restic({"snapshots", "--json", "--tag", "archive=binlog"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    for (const auto& snapshot : nlohmann::json::parse(list.out)) {
      auto restored =
          hs_->Restic({"restore", snapshot["id"].get<std::string>(), "--target", target});
      EXPECT_EQ(restored.exit_code, 0) << restored.err;
    }
    return target + "/ba/" + sc_->cluster().name + "/binlog";
  }
  // Piece files grouped by their file identity ("<instance>.<server>.<created>.<file>"), each
  // group's contents concatenated in offset order (the names sort by offset).
  static std::map<std::string, std::string> Rebuild(const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* listing = ::opendir(dir.c_str())) {
      while (dirent* entry = ::readdir(listing)) {
        std::string entry_name = entry->d_name;
        if (entry_name != "." && entry_name != ".." && entry_name != "manifest.json") {
          names.push_back(entry_name);
        }
      }
      ::closedir(listing);
    }
    std::sort(names.begin(), names.end());
    std::map<std::string, std::string> files;
    std::map<std::string, uint64_t> next_offset;
    for (const auto& piece : names) {
      // "<identity>.<16-digit start>-<16-digit end>"
      size_t dot = piece.rfind('.');
      std::string identity = piece.substr(0, dot);
      uint64_t start = std::stoull(piece.substr(dot + 1, 16));
      EXPECT_EQ(start, next_offset[identity]) << "a gap or overlap before " << piece;
      std::string path = dir;
      path.append("/").append(piece);
      auto bytes = core::ReadFileToString(path);
      EXPECT_TRUE(bytes.ok()) << piece;
      files[identity] += bytes.ok() ? *bytes : "";
      next_offset[identity] = std::stoull(piece.substr(dot + 18, 16));
    }
    return files;
  }
  // A file's bytes with the format description event's LOG_EVENT_BINLOG_IN_USE_F cleared: the
  // server sets it while the file is open and clears it in place when it closes the file, so a
  // file first archived while open differs from its closed self in that one bit only.
  static std::string AsClosed(std::string bytes) {
    constexpr size_t kFormatDescriptionFlags = 4 + 17;
    if (bytes.size() > kFormatDescriptionFlags) {
      bytes[kFormatDescriptionFlags] = static_cast<char>(bytes[kFormatDescriptionFlags] & ~1);
    }
    return bytes;
  }
  static std::string ServerFile(int ordinal, const std::string& name) {
    auto bytes = core::ReadFileToString(sc_->instance(ordinal).data_dir + "/" + name);
    return AsClosed(bytes.ok() ? *bytes : "missing " + name);
  }
};

TEST_F(BinlogArchiveTest, PiecesRebuildEachFileByteForByteWithTheActiveTail) {
  Sql(0,
      "CREATE DATABASE IF NOT EXISTS pit; CREATE TABLE pit.a (id INT PRIMARY KEY) "
      "ENGINE=InnoDB; INSERT INTO pit.a VALUES (1),(2); BEGIN; INSERT INTO pit.a VALUES (3); "
      "INSERT INTO pit.a VALUES (4); COMMIT; CREATE TABLE pit.m (id INT) ENGINE=MyISAM; "
      "INSERT INTO pit.m VALUES (1);");
  nlohmann::json first = Archive();
  EXPECT_EQ(first["writer"], sc_->instance(0).name);
  EXPECT_GT(first["transactions"].get<int>(), 0);
  // The active file's tail is in: the archive reaches the server's position without a FLUSH.
  EXPECT_EQ(first["archived_gtid"], Sql(0, "SELECT @@gtid_binlog_pos"));

  Sql(0, "INSERT INTO pit.a VALUES (5); FLUSH BINARY LOGS; INSERT INTO pit.a VALUES (6);");
  nlohmann::json second = Archive();
  EXPECT_EQ(second["archived_gtid"], Sql(0, "SELECT @@gtid_binlog_pos"));
  EXPECT_EQ(second["files_behind"], 0);

  // Stock restic gives back pieces that concatenate to the server's files, byte for byte: a
  // closed file whole, the active one as a prefix (the server appends a Binlog_checkpoint event
  // to it on its own some time after it starts, whether or not we archived in between).
  auto files = Rebuild(RestoreAllPieces("restore-1"));
  std::string active;
  for (const auto& [identity, bytes] : files) {
    active = std::max(active, identity.substr(identity.find("mariadb-bin")));
  }
  size_t compared = 0;
  for (const auto& [identity, bytes] : files) {
    std::string file_name = identity.substr(identity.find("mariadb-bin"));
    if (identity.rfind(sc_->instance(0).name + ".", 0) != 0) {
      continue;
    }
    std::string server = ServerFile(0, file_name);
    if (file_name == active) {
      EXPECT_EQ(AsClosed(bytes), server.substr(0, bytes.size())) << identity;
    } else {
      EXPECT_EQ(AsClosed(bytes), server) << identity;
    }
    ++compared;
  }
  EXPECT_GE(compared, 2U);
}

TEST_F(BinlogArchiveTest, ACycleWithNothingNewStoresNothing) {
  Sql(0,
      "CREATE DATABASE IF NOT EXISTS pit; CREATE TABLE IF NOT EXISTS pit.b (id INT PRIMARY "
      "KEY); INSERT INTO pit.b VALUES (1);");
  Archive();
  auto before = hs_->Restic({"snapshots", "--json", "--tag", "archive=binlog"});
  nlohmann::json idle = Archive();
  EXPECT_EQ(idle["pieces"], 0);
  EXPECT_EQ(idle["snapshot"], "");
  auto after = hs_->Restic({"snapshots", "--json", "--tag", "archive=binlog"});
  EXPECT_EQ(nlohmann::json::parse(before.out).size(), nlohmann::json::parse(after.out).size());
}

// A cycle reads at most 64 MiB of a file. A one-shot run over a bigger backlog (the first run on a
// busy server) goes on cycle after cycle until the backlog listed is in; it used to stop after the
// first 64 MiB, leaving a restore to the end refused.
TEST_F(BinlogArchiveTest, AOneShotRunArchivesABacklogBiggerThanOneCycleReads) {
  Archive();  // what the earlier tests wrote: the backlog below is this test's own
  Sql(0,
      "CREATE DATABASE IF NOT EXISTS pit; CREATE TABLE IF NOT EXISTS pit.big (id INT PRIMARY "
      "KEY, pad LONGBLOB) ENGINE=InnoDB;");
  // 9 transactions of 128 rows of 64 KiB: ~72 MiB of row images in the binlog.
  for (int batch = 0; batch < 9; ++batch) {
    ASSERT_EQ(Sql(0, "USE pit; INSERT INTO big SELECT seq + " + std::to_string(batch * 1000) +
                         ", REPEAT('x', 65536) FROM seq_1_to_128; SELECT ROW_COUNT()"),
              "128");
  }
  std::vector<nlohmann::json> cycles = ArchiveCycles();
  ASSERT_FALSE(cycles.empty());
  EXPECT_GE(cycles.size(), 2U) << "a 72 MiB backlog fits no single cycle";
  EXPECT_EQ(cycles.back()["archived_gtid"], Sql(0, "SELECT @@gtid_binlog_pos"));
  EXPECT_EQ(cycles.back()["files_behind"], 0);
  uint64_t stored = 0;
  for (const auto& cycle : cycles) {
    stored += cycle["bytes"].get<uint64_t>();
  }
  EXPECT_GT(stored, uint64_t{72} << 20);
}

// Issue finding 6: a cycle lists the files' sizes, then reads them; a server writing meanwhile
// grows the active file past its listed size, and "size - archived end" wrapped around to about
// 1.8e19 bytes behind (hasteward_archive_lag_bytes under load). The cycle is held after listing
// (failpoint stall) while a writer commits throughout. Defined before the switchover stories: the
// rows go to the archive's writer (instance 0).
TEST_F(BinlogArchiveTest, AFileThatGrewAfterItsSizeWasListedIsNotCountedBehind) {
  Sql(0,
      "CREATE DATABASE IF NOT EXISTS lag; CREATE TABLE IF NOT EXISTS lag.t (id INT "
      "AUTO_INCREMENT PRIMARY KEY, body TEXT) ENGINE=InnoDB; INSERT INTO lag.t (body) VALUES "
      "('listed, not archived yet')");
  std::atomic<bool> done{false};
  CmdResult run;
  std::thread archive([&] {
    run = hs_->Run(
        {"archive", "binlog", "-e", "mariadb", "-c", sc_->cluster().name, "-n", "ba", "--json"}, "",
        {{"HASTEWARD_FAILPOINT", "binlog-archive-listed:stall"}});
    done = true;
  });
  int written = 0;
  while (!done) {  // commits for as long as the cycle runs, its stall included
    ASSERT_TRUE(sc_->Sql(0, "INSERT INTO lag.t (body) VALUES (REPEAT('x', 4000))").ok());
    ++written;
  }
  archive.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_NE(run.err.find("stalled (pid"), std::string::npos) << run.err;
  EXPECT_GT(written, 0);
  auto cycle = nlohmann::json::parse(run.out.substr(0, run.out.find('\n')));
  ASSERT_TRUE(cycle.contains("bytes_behind")) << run.out;
  EXPECT_LT(cycle["bytes_behind"].get<uint64_t>(), uint64_t{1} << 40) << run.out;
}

TEST_F(BinlogArchiveTest, ZzAfterASwitchoverTheArchiveFollowsTheNewPrimary) {
  Sql(0,
      "CREATE DATABASE IF NOT EXISTS pit; CREATE TABLE IF NOT EXISTS pit.d (id INT PRIMARY "
      "KEY); INSERT INTO pit.d VALUES (1);");
  Archive();
  auto switched = hs_->Run({"switchover", "-e", "mariadb", "-c", sc_->cluster().name, "-n", "ba",
                            "--to", sc_->instance(1).name});
  ASSERT_EQ(switched.exit_code, 0) << switched.out << switched.err;
  Sql(1, "INSERT INTO pit.d VALUES (2); INSERT INTO pit.d VALUES (3);");
  // The new primary's binlog holds the earlier tests' ~72 MiB backlog too: more than one cycle.
  nlohmann::json followed = ArchiveCycles().back();
  EXPECT_EQ(followed["writer"], sc_->instance(1).name);
  EXPECT_EQ(followed["archived_gtid"], Sql(1, "SELECT @@gtid_binlog_pos"));
  auto files = Rebuild(RestoreAllPieces("restore-after-switchover"));
  bool from_new_primary = false;
  for (const auto& [identity, bytes] : files) {
    if (identity.rfind(sc_->instance(1).name + ".", 0) == 0) {
      from_new_primary = true;
      std::string file_name = identity.substr(identity.find("mariadb-bin"));
      EXPECT_EQ(AsClosed(bytes), ServerFile(1, file_name)) << identity;
    }
  }
  EXPECT_TRUE(from_new_primary);
}

TEST_F(BinlogArchiveTest, ZzzRestartedNumberingDoesNotCollideWithArchivedFiles) {
  // Runs after the switchover: instance 1 is the primary, instance 0 its replica. RESET MASTER
  // also starts the GTIDs again, so this test comes last.
  Sql(1,
      "CREATE DATABASE IF NOT EXISTS pit; CREATE TABLE IF NOT EXISTS pit.c (id INT PRIMARY "
      "KEY); INSERT INTO pit.c VALUES (1);");
  Archive();
  auto old_files = Rebuild(RestoreAllPieces("restore-before-reset"));
  // The replica is stopped so that RESET MASTER (numbering and GTIDs start again) does not
  // break it; the old file names come back with other content.
  Sql(0, "STOP SLAVE");
  std::this_thread::sleep_for(std::chrono::seconds(1));  // another creation second
  Sql(1, "RESET MASTER; INSERT INTO pit.c VALUES (2);");
  nlohmann::json after_reset = Archive();
  EXPECT_EQ(after_reset["writer"], sc_->instance(1).name);
  EXPECT_GT(after_reset["pieces"].get<int>(), 0);
  auto files = Rebuild(RestoreAllPieces("restore-after-reset"));
  // Every file archived before is still there with the same bytes, beside the new one.
  for (const auto& [identity, bytes] : old_files) {
    ASSERT_EQ(files.count(identity), 1U) << identity;
    EXPECT_EQ(files[identity], bytes) << identity;
  }
  bool new_first_file = false;
  for (const auto& [identity, bytes] : files) {
    if (old_files.count(identity) == 0 &&
        identity.find("mariadb-bin.000001") != std::string::npos) {
      new_first_file = true;
      EXPECT_EQ(AsClosed(bytes), ServerFile(1, "mariadb-bin.000001"));
    }
  }
  EXPECT_TRUE(new_first_file);
}

// Peer regression: Percona's PITR collector silently stopped uploading once a corrupted binlog
// existed (percona-xtradb-cluster-operator #1423). A transaction whose bytes on the server no
// longer match their checksum is never archived, nor anything after it (that would leave a gap
// nobody sees): every run fails with an error naming the file and the position, and the archive
// keeps everything before it. Runs last: it leaves the primary's binlog damaged.
TEST_F(BinlogArchiveTest, ZzzzACorruptBinlogFailsEveryRunLoudlyAndKeepsWhatCameBefore) {
  // Instance 1 is the primary since the switchover test.
  Sql(1, "CREATE TABLE IF NOT EXISTS pit.e (id INT PRIMARY KEY, note TEXT)");
  Archive();
  auto listed = hs_->Restic({"snapshots", "--json", "--tag", "archive=binlog"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const nlohmann::json archived_before = nlohmann::json::parse(listed.out);
  std::string status = Sql(1, "SHOW MASTER STATUS");
  const std::string name = status.substr(0, status.find('\t'));
  const uint64_t from = std::stoull(status.substr(status.find('\t') + 1));
  Sql(1, "INSERT INTO pit.e VALUES (1, REPEAT('x', 2000))");
  status = Sql(1, "SHOW MASTER STATUS");
  const uint64_t to = std::stoull(status.substr(status.find('\t') + 1));
  ASSERT_GT(to, from + 2000);
  // One byte in the middle of the row's text flipped on disk, as a failing disk would.
  const std::string path = sc_->instance(1).data_dir + "/" + name;
  std::fstream binlog(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(binlog.is_open()) << path;
  binlog.seekp(static_cast<std::streamoff>((from + to) / 2));
  binlog.put('\x01');
  binlog.close();
  Sql(1, "INSERT INTO pit.e VALUES (2, 'after the damage')");
  for (int run = 0; run < 2; ++run) {
    auto failed = hs_->Run(
        {"archive", "binlog", "-e", "mariadb", "-c", sc_->cluster().name, "-n", "ba", "--json"});
    EXPECT_NE(failed.exit_code, 0) << "run " << run << ": " << failed.out << failed.err;
    EXPECT_NE(failed.err.find(name), std::string::npos) << failed.err;
  }
  auto pieces = hs_->Restic({"snapshots", "--json", "--tag", "archive=binlog"});
  ASSERT_EQ(pieces.exit_code, 0) << pieces.err;
  EXPECT_EQ(nlohmann::json::parse(pieces.out).size(), archived_before.size())
      << "nothing stored past the damage (the transaction after it would leave a gap)";
}

}  // namespace
}  // namespace hasteward::testing
