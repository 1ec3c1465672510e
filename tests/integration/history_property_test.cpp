// Every copy knows its history (issue 49), as a property on a real PostgreSQL sandbox archiving
// into a REST repository, driving the hasteward binary: random sequences of writes, native backups
// (incremental, sometimes full), plain and instant restores of any earlier snapshot (of whichever
// history) and point-in-time restores (--until-lsn, --until) to a point of the live history. A
// model records what each acknowledged write, snapshot and point holds; after every step:
// 1. the live data equals the model: every acknowledged write since the last restore point is
//    there, none of an abandoned history is, and what a restore replaced is in the copy it named
//    (exactly the data it replaced);
// 2. every snapshot restores through stock restic (pg_verifybackup, then postgres on it) to exactly
//    the data it recorded (the newest after each backup, all of them at the end of a seed);
// 3. the archive keeps growing: a switched segment is reported archived and no archiving failed;
//    and every restore starts a timeline above every one seen before.
// Seeds: HASTEWARD_PROPERTY_SEED (one) or HASTEWARD_PROPERTY_SEEDS (comma separated, default
// 1,2,2586);
// steps per seed: HASTEWARD_PROPERTY_STEPS (default 8). Each step is printed before it runs, so a
// failure names its seed and the steps that led to it. Not yet: switchover and failover (two
// instances), MariaDB. bench/history_property.sh runs 20 seeds.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "support/archived_cluster.h"
#include "support/cluster_env.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/mount_process.h"
#include "support/rescued_postgres.h"
#include "support/rest_test_server.h"
#include "support/sandbox_cluster.h"
#include "support/server_user_file.h"
#include "support/table_sums.h"

namespace hasteward::testing {
namespace history_property_test {
namespace {

namespace fs = std::filesystem;

constexpr char kPassword[] = "history-property";
constexpr char kDataPath[] = "hp/shop/data";  // the data directory inside a native snapshot
// What a copy holds: every user table's sums, then the acknowledged ids.
constexpr char kStateSql[] =
    "SELECT table_sums() || '#' || "
    "coalesce((SELECT string_agg(id::text, ',' ORDER BY id) FROM acks), '')";
constexpr char kPgBin[] = "/usr/lib/postgresql/15/bin";

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// splitmix64: the same sequence from a seed on every platform (std distributions differ).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

// The data a copy holds: the table sums (every public table) and the acknowledged ids.
struct State {
  std::set<int> ids;
  std::string sums;
  std::string Text() const {
    std::string text = sums + "#";
    for (int id : ids) {
      text += (text.back() == '#' ? "" : ",") + std::to_string(id);
    }
    return text;
  }
};

// The ids of a kStateSql result (after '#').
std::set<int> IdsOf(const std::string& state) {
  std::set<int> ids;
  std::stringstream in(state.substr(state.find('#') + 1));
  for (std::string id; std::getline(in, id, ',');) {
    if (!id.empty()) {
      ids.insert(std::stoi(id));
    }
  }
  return ids;
}

// Why `actual` (a kStateSql result) is not `expected`, "" when it is.
std::string Difference(const State& expected, const std::string& actual) {
  if (actual == expected.Text()) {
    return "";
  }
  std::set<int> got = IdsOf(actual);
  std::string missing, extra;
  for (int id : expected.ids) {
    missing += got.contains(id) ? "" : std::to_string(id) + " ";
  }
  for (int id : got) {
    extra += expected.ids.contains(id) ? "" : std::to_string(id) + " ";
  }
  return "acknowledged ids missing: [" + missing + "], ids that should not be there: [" + extra +
         "]; expected '" + expected.Text() + "', got '" + actual + "'";
}

struct Snapshot {
  std::string id;
  State state;
  uint32_t timeline = 0;
};

// A point of the live history a point-in-time restore can go back to.
struct Point {
  std::string lsn;   // the insert position right after the write
  std::string time;  // the server's clock right after the write (RFC 3339, microseconds)
  State state;
};

std::vector<uint64_t> SeedsFromEnv() {
  if (const char* one = std::getenv("HASTEWARD_PROPERTY_SEED"); one != nullptr && *one != '\0') {
    return {std::stoull(one)};
  }
  const char* list = std::getenv("HASTEWARD_PROPERTY_SEEDS");
  std::vector<uint64_t> seeds;
  // 2586: a point-in-time restore after a restore, which chose the abandoned history's base by
  // position before wal_plan's OnHistoryOf (exit 0 with the abandoned history's rows).
  std::stringstream in(list != nullptr ? list : "1,2,2586");
  for (std::string seed; std::getline(in, seed, ',');) {
    if (!seed.empty()) {
      seeds.push_back(std::stoull(seed));
    }
  }
  return seeds;
}

int StepsFromEnv() {
  const char* steps = std::getenv("HASTEWARD_PROPERTY_STEPS");
  return steps != nullptr && *steps != '\0' ? std::stoi(steps) : 8;
}

// The data directory a restore named as kept ("kept the previous data directory of 'X' at 'P'").
std::optional<std::string> KeptCopy(const std::string& output) {
  const std::string marker = "kept the previous data directory of '";
  size_t at = output.find(marker);
  if (at == std::string::npos || (at = output.find("' at '", at)) == std::string::npos) {
    return std::nullopt;
  }
  at += 6;
  return output.substr(at, output.find('\'', at) - at);
}

CmdResult AsPostgres(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  return RunCommand(argv);
}

// One seed's run: a fresh cluster, repository and model.
class HistoryRun {
 public:
  explicit HistoryRun(uint64_t seed)
      : seed_(seed), rng_(seed), hs_("hs-history-prop-", kPassword) {}

  bool SetUp();
  // Runs one random step and checks the invariants; false on a violation (reported already).
  bool Step(int step);
  // Every snapshot taken restores with stock restic to exactly what it recorded.
  bool CheckAllSnapshots();
  // The operations run, in order ("write,backup,pitr-lsn,...").
  std::string Ops() const { return ops_; }

 private:
  bool Write();
  bool Backup();
  bool Restore(bool instant);
  bool RestoreToPoint();
  bool Fail(const std::string& what) {
    ADD_FAILURE() << "seed " << seed_ << " step " << step_ << " (" << op_ << "): " << what;
    return false;
  }
  void Ran(const std::string& op) { ops_ += (ops_.empty() ? "" : ",") + op; }
  void Log(const std::string& line) {
    std::cout << "[history-property] seed " << seed_ << " step " << step_ << ": " << line
              << std::endl;
  }
  // The command's own lines (which base, which copy kept), for a failure to be read from the log.
  void LogOutput(const CmdResult& r) {
    std::stringstream in(r.out + r.err);
    for (std::string line; std::getline(in, line);) {
      Log("  | " + line);
    }
  }
  CmdResult Hs(std::vector<std::string> args) {
    return ClusterEnv::On(hs_, *pg_, "cnpg", {"--password-file", password_file_})
        .Hs(std::move(args));
  }
  std::string Sql(const std::string& sql) {
    auto r = pg_->Sql(0, sql);
    if (!r.ok()) {
      ADD_FAILURE() << "seed " << seed_ << ": " << r.status().ToString() << " for " << sql;
      return "";
    }
    return FirstLine(*r);
  }
  uint32_t Timeline() {
    std::string tl = Sql("SELECT timeline_id FROM pg_control_checkpoint()");
    return tl.empty() ? 0 : static_cast<uint32_t>(std::stoul(tl));
  }
  bool CheckLive(const State& expected, const std::string& when);
  bool CheckKept(const std::string& output, const State& replaced);
  bool CheckNewHistory(const CmdResult& restored);
  bool CheckArchiveGrows();
  bool CheckRescued(const Snapshot& snapshot);
  std::string StateOfDirectory(const std::string& data_dir, int port);
  CmdResult StopAndRestore(std::vector<std::string> args);

  uint64_t seed_;
  Rng rng_;
  int step_ = 0;
  std::string op_ = "setup";
  bool fuse_ = FuseUnavailableReason().empty();
  HastewardEnv hs_;
  std::unique_ptr<RestTestServer> server_;  // destroyed after the cluster, which archives to it
  std::unique_ptr<SandboxCluster> pg_;
  std::string password_file_;

  State model_;
  int next_id_ = 1;
  std::vector<Snapshot> snapshots_;
  std::vector<Point> points_;  // of the live history, oldest first, all after a base on its path
  uint32_t highest_timeline_ = 1;
  int rescues_ = 0;
  std::string ops_;
};

bool HistoryRun::SetUp() {
  auto archived = StartArchivedCluster(
      hs_, {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "shop", .ns = "hp"},
      kPassword);
  if (!archived.ok()) {
    return Fail(archived.status().ToString());
  }
  server_ = std::move(archived->server);
  pg_ = std::move(archived->cluster);
  password_file_ = archived->password_file;
  // About 250 pages of filler, so an incremental backup has pages to leave out; aux.tick (outside
  // the sums) holds the transactions a time target needs after it.
  Sql("CREATE TABLE acks (id int PRIMARY KEY);"
      "CREATE TABLE filler (id int PRIMARY KEY, v text);"
      "INSERT INTO filler SELECT g, md5(g::text) FROM generate_series(1, 20000) g;"
      "CREATE SCHEMA aux; CREATE TABLE aux.tick (at timestamptz)");
  Sql(kTableSumsFunction);
  std::string live = Sql(kStateSql);
  model_.sums = live.substr(0, live.find('#'));
  return CheckLive(model_, "after setup");
}

bool HistoryRun::Step(int step) {
  step_ = step;
  size_t roll = rng_.Below(100);
  bool ok = false;
  if (roll < 40) {
    ok = Write();
  } else if (roll < 62 || snapshots_.empty()) {
    ok = Backup();
  } else if (roll < 76) {
    ok = Restore(/*instant=*/false);
  } else if (roll < 90 && !points_.empty()) {
    ok = RestoreToPoint();
  } else {
    ok = Restore(/*instant=*/fuse_);
  }
  return ok && CheckArchiveGrows();
}

// Inserts 1..5 transactions of acknowledged ids and rewrites a random tenth of the filler's rows.
bool HistoryRun::Write() {
  op_ = "write";
  size_t transactions = 1 + rng_.Below(5);
  size_t residue = rng_.Below(10);
  Ran("write");
  Log("write " + std::to_string(transactions) + " transactions from id " +
      std::to_string(next_id_) + ", filler rows id % 10 = " + std::to_string(residue));
  for (size_t t = 0; t < transactions; ++t) {
    int count = 1 + static_cast<int>(rng_.Below(20));
    Sql("INSERT INTO acks SELECT generate_series(" + std::to_string(next_id_) + ", " +
        std::to_string(next_id_ + count - 1) + ")");
    for (int id = next_id_; id < next_id_ + count; ++id) {
      model_.ids.insert(id);
    }
    next_id_ += count;
  }
  Sql("UPDATE filler SET v = md5(v) WHERE id % 10 = " + std::to_string(residue));
  std::string live = Sql(kStateSql);
  model_.sums = live.substr(0, live.find('#'));
  if (!CheckLive(model_, "after the write")) {
    return false;
  }
  if (!snapshots_.empty()) {
    // The insert position (the sandbox commits with synchronous_commit = off, so the write
    // position may lie before the commit); the clock read after the commit returned.
    std::string at =
        Sql("SELECT pg_current_wal_insert_lsn() || ' ' || to_char(clock_timestamp() AT TIME ZONE "
            "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    points_.push_back({at.substr(0, at.find(' ')), at.substr(at.find(' ') + 1), model_});
  }
  return true;
}

bool HistoryRun::Backup() {
  op_ = "backup";
  bool full = rng_.Below(6) == 0;
  Ran(full ? "full-backup" : "backup");
  Log(std::string("native backup") + (full ? " --full" : ""));
  std::vector<std::string> args = {"backup", "--method", "native", "--json"};
  if (full) {
    args.push_back("--full");
  }
  auto r = Hs(args);
  if (r.exit_code != 0) {
    return Fail("backup exited " + std::to_string(r.exit_code) + ": " + r.err);
  }
  auto summary = nlohmann::json::parse(LastLine(r.out), nullptr, false);
  std::string id = summary.is_object() ? summary.value("snapshot_id", "") : "";
  if (id.empty()) {
    return Fail("no snapshot id in: " + r.out);
  }
  snapshots_.push_back({id, model_, Timeline()});
  Log("  snapshot " + id.substr(0, 8) + " on timeline " +
      std::to_string(snapshots_.back().timeline) + ", " + std::to_string(model_.ids.size()) +
      " ids");
  return CheckRescued(snapshots_.back());
}

CmdResult HistoryRun::StopAndRestore(std::vector<std::string> args) {
  auto stopped = Hs({"instance", "stop", "-i", "0"});
  if (stopped.exit_code != 0) {
    Fail("instance stop: " + stopped.err);
  }
  args.insert(args.begin(), "restore");
  args.insert(args.end(), {"--yes", "--confirm-rewind"});
  return Hs(args);
}

bool HistoryRun::Restore(bool instant) {
  op_ = instant ? "instant restore" : "restore";
  const Snapshot chosen = snapshots_[rng_.Below(snapshots_.size())];
  Ran(instant ? "instant-restore" : "restore");
  Log(op_ + " of snapshot " + chosen.id.substr(0, 8) + " (timeline " +
      std::to_string(chosen.timeline) + ", " + std::to_string(chosen.state.ids.size()) + " ids)");
  std::vector<std::string> args = {"--snapshot", chosen.id};
  if (instant) {
    args.push_back("--instant");
  }
  auto restored = StopAndRestore(args);
  if (restored.exit_code != 0) {
    return Fail("restore exited " + std::to_string(restored.exit_code) + ": " + restored.out +
                restored.err);
  }
  LogOutput(restored);
  const State replaced = model_;
  model_ = chosen.state;
  points_.clear();  // the restored history forks at the snapshot: no recorded point is on it
  return CheckLive(model_, "after the restore") && CheckNewHistory(restored) &&
         CheckKept(restored.out + restored.err, replaced);
}

bool HistoryRun::RestoreToPoint() {
  op_ = "point-in-time restore";
  size_t index = rng_.Below(points_.size());
  const Point point = points_[index];
  bool by_time = rng_.Below(2) == 0;
  Ran(by_time ? "pitr-time" : "pitr-lsn");
  Log(std::string("restore ") + (by_time ? "--until " + point.time : "--until-lsn " + point.lsn) +
      " (" + std::to_string(point.state.ids.size()) + " ids)");
  // A time target stops only at a transaction after it; the archive must hold the target.
  Sql("INSERT INTO aux.tick VALUES (clock_timestamp())");
  if (!CheckArchiveGrows()) {
    return false;
  }
  auto restored =
      StopAndRestore({by_time ? "--until" : "--until-lsn", by_time ? point.time : point.lsn});
  if (restored.exit_code != 0) {
    return Fail(
        "a point of the live history, archived, with a base before it, was not restored: "
        "exit " +
        std::to_string(restored.exit_code) + ": " + restored.out + restored.err);
  }
  LogOutput(restored);
  const State replaced = model_;
  model_ = point.state;
  points_.resize(index + 1);  // the points up to the target are on the new history's path
  return CheckLive(model_, "after the point-in-time restore") && CheckNewHistory(restored) &&
         CheckKept(restored.out + restored.err, replaced);
}

bool HistoryRun::CheckLive(const State& expected, const std::string& when) {
  std::string diff = Difference(expected, Sql(kStateSql));
  return diff.empty() || Fail("the live data " + when + " is not the model's: " + diff);
}

// A restore that replaced data names the copy it kept, and that copy holds exactly that data.
bool HistoryRun::CheckKept(const std::string& output, const State& replaced) {
  std::optional<std::string> kept = KeptCopy(output);
  if (!kept) {
    return replaced.Text() == model_.Text() ||
           Fail("the restore replaced data and named no kept copy: " + output);
  }
  std::string diff = Difference(replaced, StateOfDirectory(*kept, pg_->instance(0).port + 1001));
  Log("  kept copy " + *kept);
  return diff.empty() || Fail("the kept copy '" + *kept + "' is not the data replaced: " + diff);
}

// Every restore promotes onto a timeline no history took before.
bool HistoryRun::CheckNewHistory(const CmdResult& restored) {
  uint32_t timeline = Timeline();
  Log("  now on timeline " + std::to_string(timeline));
  if (timeline <= highest_timeline_) {
    return Fail("the restored server is on timeline " + std::to_string(timeline) +
                ", taken already (highest seen " + std::to_string(highest_timeline_) +
                "): " + restored.out + restored.err);
  }
  highest_timeline_ = timeline;
  return true;
}

// A switched segment is reported archived, and the archiver never failed on this server (its
// counters start at zero with every restore: recovery discards the statistics).
bool HistoryRun::CheckArchiveGrows() {
  std::string segment = Sql("SELECT pg_walfile_name(pg_switch_wal())");
  bool archived = core::PollUntil(
      [&] {
        return Sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") >= segment;
      },
      std::chrono::seconds(90), std::chrono::milliseconds(250));
  std::string failures =
      Sql("SELECT failed_count || ' failed, last ' || coalesce(last_failed_wal, '-') "
          "FROM pg_stat_archiver");
  if (!archived) {
    return Fail("segment " + segment + " was not archived; " + failures + "\n" + pg_->LogTail(0));
  }
  return failures.rfind("0 failed", 0) == 0 ||
         Fail("the archiver failed: " + failures + "\n" + pg_->LogTail(0));
}

bool HistoryRun::CheckRescued(const Snapshot& snapshot) {
  const std::string name = "rescued-" + std::to_string(++rescues_);
  RescuedPostgres rescued = RescueWithStockRestic(hs_, snapshot.id, name, kDataPath,
                                                  pg_->instance(0).port + 1000, kStateSql);
  fs::remove_all(hs_.Path(name));
  fs::remove_all(hs_.Path(name + "-sock"));
  if (rescued.verify_exit != 0 || !rescued.started) {
    return Fail("snapshot " + snapshot.id + " does not restore with stock restic: " +
                rescued.verify_output + rescued.start_output);
  }
  std::string diff = Difference(snapshot.state, FirstLine(rescued.rows));
  return diff.empty() ||
         Fail("snapshot " + snapshot.id + " restored by stock restic is not its data: " + diff);
}

bool HistoryRun::CheckAllSnapshots() {
  op_ = "every snapshot";
  Log("every snapshot (" + std::to_string(snapshots_.size()) + ") with stock restic");
  bool ok = true;
  for (const auto& snapshot : snapshots_) {
    ok = CheckRescued(snapshot) && ok;
  }
  return ok;
}

// What a stopped data directory holds, read by a server started on it alone (no archiving).
std::string HistoryRun::StateOfDirectory(const std::string& data_dir, int port) {
  const std::string sock = hs_.Path("kept-sock");
  RunCommand({"install", "-d", "-o", "postgres", "-m", "0700", sock});
  const std::string port_text = std::to_string(port);
  auto started = AsPostgres(
      {std::string(kPgBin) + "/pg_ctl", "-D", data_dir, "-l", sock + "/log", "-w", "-t", "120",
       "-o", "-p " + port_text + " -k " + sock + " -c listen_addresses='' -c archive_mode=off",
       "start"});
  if (started.exit_code != 0) {
    return "(did not start: " + started.out + started.err + ")";
  }
  std::string state =
      AsPostgres({"psql", "-h", sock, "-p", port_text, "-X", "-A", "-t", "-c", kStateSql}).out;
  AsPostgres({std::string(kPgBin) + "/pg_ctl", "-D", data_dir, "-w", "-m", "fast", "stop"});
  return FirstLine(state);
}

TEST(HistoryPropertyTest, EveryCopyRestoresToWhatItRecordedAndNoAcknowledgedWriteIsLost) {
  const int steps = StepsFromEnv();
  for (uint64_t seed : SeedsFromEnv()) {
    std::cout << "[history-property] seed " << seed << " (" << steps
              << " steps; replay: HASTEWARD_PROPERTY_SEED=" << seed
              << " HASTEWARD_PROPERTY_STEPS=" << steps << ")" << std::endl;
    HistoryRun run(seed);
    bool ok = run.SetUp();
    for (int step = 1; ok && step <= steps; ++step) {
      ok = run.Step(step);
    }
    ok = ok && run.CheckAllSnapshots();
    std::cout << "[history-property] seed " << seed << ": " << (ok ? "passed" : "FAILED") << " ("
              << run.Ops() << ")" << std::endl;
  }
}

}  // namespace
}  // namespace history_property_test
}  // namespace hasteward::testing
