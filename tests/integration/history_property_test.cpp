// Every copy knows its history (issue 49), as a property on a real PostgreSQL sandbox (a primary
// and a streaming replica) archiving into a REST repository, driving the hasteward binary: random
// sequences of writes, native backups (incremental, sometimes full), plain and instant restores of
// any earlier snapshot (of whichever history), point-in-time restores (--until-lsn, --until) to a
// point of the live history, switchovers, and failovers (the replica caught up, the primary
// stopped, then `repair` rejoins it). A model records what each acknowledged write, snapshot and
// point holds; after every step:
// 1. the live data equals the model on the primary, and the replica replays to the primary's
//    position and holds it too: every acknowledged write since the last restore point is there,
//    none of an abandoned history is, and what a restore replaced is in the copy it named
//    (exactly the data it replaced);
// 2. every snapshot restores through stock restic (pg_verifybackup, then postgres on it) to exactly
//    the data it recorded (the newest after each backup, all of them at the end of a seed);
// 3. the archive keeps growing: a switched segment of the primary is reported archived and no
//    archiving failed; and every restore, switchover and failover promotes onto a timeline above
//    every one seen before.
// Seeds: HASTEWARD_PROPERTY_SEED (one) or HASTEWARD_PROPERTY_SEEDS (comma separated, default
// kCiSeeds); steps per seed: HASTEWARD_PROPERTY_STEPS (default 6). Each step is printed before it
// runs (support/history_property.h), so a failure names its seed and the steps that led to it.
// bench/history_property.sh runs 20 seeds of 8 steps. MariaDB's half:
// mariadb_history_property_test.cpp.
#include "support/history_property.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
// The seeds CI runs, 6 steps each, chosen (by simulating the steps' random draws) to cover every
// operation in two seeds: 88 backup, restore, failover, backup, instant restore (plain without
// FUSE), switchover; 2518 backup, switchover, write, backup (of the demoted old primary, its
// restartpoint still on timeline 1: exit 23 before), --until-lsn P, --until T (T and P the same
// point: exit 24 before, the proof stopped at the fork right after it). On the code before native
// backups left the copied standby's standby.signal out, both failed at their first backup: its
// stock restic copy was a standby of the live cluster.
constexpr char kCiSeeds[] = "88,2518";

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

struct Snapshot {
  std::string id;
  ModelState state;
  uint32_t timeline = 0;
};

// A point of the live history a point-in-time restore can go back to.
struct Point {
  std::string lsn;   // the insert position right after the write
  std::string time;  // the server's clock right after the write (RFC 3339, microseconds)
  ModelState state;
};

CmdResult AsPostgres(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  return RunCommand(argv);
}

// One seed's run: a fresh cluster, repository and model.
class HistoryRun : public PropertyRun {
 public:
  explicit HistoryRun(uint64_t seed)
      : PropertyRun("history-property", seed), hs_("hs-history-prop-", kPassword) {}

  bool SetUp() override;
  bool CheckAllSnapshots() override;

 private:
  bool RunStep() override;
  bool Write();
  bool Backup();
  bool Restore(bool instant);
  bool RestoreToPoint();
  bool Switchover();
  bool Failover();
  CmdResult Hs(std::vector<std::string> args) {
    return ClusterEnv::On(hs_, *pg_, "cnpg", {"--password-file", password_file_})
        .Hs(std::move(args));
  }
  std::string Sql(const std::string& sql, int ordinal) {
    auto r = pg_->Sql(ordinal, sql);
    if (!r.ok()) {
      ADD_FAILURE() << "seed " << seed_ << ": " << r.status().ToString() << " for " << sql;
      return "";
    }
    return FirstLine(*r);
  }
  std::string Sql(const std::string& sql) { return Sql(sql, primary_); }
  int replica() const { return 1 - primary_; }
  // The timeline the primary writes on now (a promotion's end-of-recovery checkpoint may still be
  // on its way, so pg_control_checkpoint() could name the one before).
  uint32_t Timeline() {
    std::string tl =
        Sql("SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
            "::bit(32)::int");
    return tl.empty() ? 0 : static_cast<uint32_t>(std::stoul(tl));
  }
  bool ReplicaReplayed(const std::string& lsn);
  bool FindPrimary(const std::string& when);
  bool CheckLive(const ModelState& expected, const std::string& when);
  bool CheckKept(const std::string& output, const ModelState& replaced);
  bool CheckNewHistory(const CmdResult& done);
  bool CheckArchiveGrows();
  bool CheckRescued(const Snapshot& snapshot);
  std::string StateOfDirectory(const std::string& data_dir, int port);
  CmdResult StopAndRestore(std::vector<std::string> args);
  bool Restored(const CmdResult& restored, const ModelState& state);

  bool fuse_ = FuseUnavailableReason().empty();
  HastewardEnv hs_;
  std::unique_ptr<RestTestServer> server_;  // destroyed after the cluster, which archives to it
  std::unique_ptr<SandboxCluster> pg_;
  std::string password_file_;
  int primary_ = 0;  // the writable instance; the other streams from it

  ModelState model_;
  int next_id_ = 1;
  std::vector<Snapshot> snapshots_;
  std::vector<Point> points_;  // of the live history, oldest first, all after a base on its path
  uint32_t highest_timeline_ = 1;
  int rescues_ = 0;
};

bool HistoryRun::SetUp() {
  auto archived = StartArchivedCluster(
      hs_, {.engine = platform::EngineKind::kPostgres, .instances = 2, .name = "shop", .ns = "hp"},
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

bool HistoryRun::RunStep() {
  size_t roll = rng_.Below(100);
  bool ok = false;
  if (roll < 35) {
    ok = Write();
  } else if (roll < 55 || snapshots_.empty()) {
    ok = Backup();
  } else if (roll < 67) {
    ok = Restore(/*instant=*/false);
  } else if (roll < 80 && !points_.empty()) {
    ok = RestoreToPoint();
  } else if (roll < 88) {
    ok = Switchover();
  } else if (roll < 94) {
    ok = Failover();
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
      std::to_string(next_id_) + " on instance " + std::to_string(primary_) +
      ", filler rows id % 10 = " + std::to_string(residue));
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

// A native restore goes into a stopped instance: the primary is stopped, the replica keeps
// streaming (the restore's gate judges its data, and it is re-cloned from the restored one).
CmdResult HistoryRun::StopAndRestore(std::vector<std::string> args) {
  auto stopped = Hs({"instance", "stop", "-i", std::to_string(primary_)});
  if (stopped.exit_code != 0) {
    Fail("instance stop: " + stopped.err);
  }
  args.insert(args.begin(), "restore");
  args.insert(args.end(), {"--yes", "--confirm-rewind"});
  return Hs(args);
}

// The checks every restore passes: one primary holds `state` on a new timeline, the other instance
// streams it, and the replaced data is in the copy the restore named.
bool HistoryRun::Restored(const CmdResult& restored, const ModelState& state) {
  LogOutput(restored);
  const ModelState replaced = model_;
  model_ = state;
  return FindPrimary("after the " + op_) && CheckLive(model_, "after the " + op_) &&
         CheckNewHistory(restored) && CheckKept(restored.out + restored.err, replaced);
}

bool HistoryRun::Restore(bool instant) {
  op_ = instant ? "instant restore" : "restore";
  const Snapshot chosen = snapshots_[rng_.Below(snapshots_.size())];
  Ran(instant ? "instant-restore" : "restore");
  Log(op_ + " of snapshot " + chosen.id.substr(0, 8) + " (timeline " +
      std::to_string(chosen.timeline) + ", " + std::to_string(chosen.state.ids.size()) +
      " ids) into instance " + std::to_string(primary_));
  std::vector<std::string> args = {"--snapshot", chosen.id};
  if (instant) {
    args.push_back("--instant");
  }
  auto restored = StopAndRestore(args);
  if (restored.exit_code != 0) {
    return Fail("restore exited " + std::to_string(restored.exit_code) + ": " + restored.out +
                restored.err);
  }
  points_.clear();  // the restored history forks at the snapshot: no recorded point is on it
  return Restored(restored, chosen.state);
}

bool HistoryRun::RestoreToPoint() {
  op_ = "point-in-time restore";
  size_t index = rng_.Below(points_.size());
  const Point point = points_[index];
  bool by_time = rng_.Below(2) == 0;
  Ran(by_time ? "pitr-time" : "pitr-lsn");
  Log(std::string("restore ") + (by_time ? "--until " + point.time : "--until-lsn " + point.lsn) +
      " (" + std::to_string(point.state.ids.size()) + " ids) into instance " +
      std::to_string(primary_));
  // A time target stops only at a transaction after it; the archive must hold the target.
  Sql("INSERT INTO aux.tick VALUES (clock_timestamp())");
  if (!CheckArchiveGrows()) {
    return false;
  }
  auto restored =
      StopAndRestore({by_time ? "--until" : "--until-lsn", by_time ? point.time : point.lsn});
  if (restored.exit_code != 0) {
    auto status = Hs({"pitr", "status"});  // the windows the plan chose from, for the diagnosis
    return Fail(
        "a point of the live history, archived, with a base before it, was not restored: "
        "exit " +
        std::to_string(restored.exit_code) + ": " + restored.out + restored.err +
        "\npitr status:\n" + status.out + status.err);
  }
  points_.resize(index + 1);  // the points up to the target are on the new history's path
  return Restored(restored, point.state);
}

// The replica is promoted, the old primary follows it; the history goes on, on a new timeline.
bool HistoryRun::Switchover() {
  op_ = "switchover";
  Ran("switchover");
  const std::string to = pg_->instance(replica()).name;
  Log("switchover to " + to);
  auto r = Hs({"switchover", "--to", to});
  if (r.exit_code != 0) {
    return Fail("switchover exited " + std::to_string(r.exit_code) + ": " + r.out + r.err +
                pg_->LogTail(replica()));
  }
  primary_ = replica();
  return CheckLive(model_, "after the switchover") && CheckNewHistory(r);
}

// The replica first replays every acknowledged write (asynchronous streaming: else a failover
// loses them by design, and the model could not tell), then the primary is stopped, the replica
// promoted, and `repair` rejoins the fenced old primary as a replica.
bool HistoryRun::Failover() {
  op_ = "failover";
  Ran("failover");
  const std::string to = pg_->instance(replica()).name;
  Log("failover to " + to + " (instance " + std::to_string(primary_) + " stopped)");
  const std::string lsn = Sql("SELECT pg_current_wal_insert_lsn()");
  if (!ReplicaReplayed(lsn)) {
    return Fail("the replica did not replay to " + lsn + " within 60 s");
  }
  if (auto stopped = Hs({"instance", "stop", "-i", std::to_string(primary_)});
      stopped.exit_code != 0) {
    return Fail("instance stop: " + stopped.err);
  }
  auto r = Hs({"failover", "--to", to});
  if (r.exit_code != 0) {
    return Fail("failover exited " + std::to_string(r.exit_code) + ": " + r.out + r.err);
  }
  primary_ = replica();
  auto repaired = Hs({"repair"});
  LogOutput(repaired);
  if (repaired.exit_code != 0) {
    return Fail("repair after the failover exited " + std::to_string(repaired.exit_code) + ": " +
                repaired.out + repaired.err);
  }
  return CheckLive(model_, "after the failover") && CheckNewHistory(r);
}

// Whether the replica replays up to `lsn` within 60 s (a re-cloned one may still be starting).
bool HistoryRun::ReplicaReplayed(const std::string& lsn) {
  const std::string sql =
      "SELECT coalesce(pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn, false)";
  return core::PollUntil(
      [&] {
        auto r = pg_->Sql(replica(), sql);
        return r.ok() && FirstLine(*r) == "t";
      },
      std::chrono::seconds(60), std::chrono::milliseconds(100));
}

// After a restore: the instance it promoted is the primary (the one not in recovery).
bool HistoryRun::FindPrimary(const std::string& when) {
  std::string roles;
  for (int ordinal : {0, 1}) {
    auto r = pg_->Sql(ordinal, "SELECT pg_is_in_recovery()");
    roles += r.ok() ? FirstLine(*r) : "-";
  }
  if (roles != "ft" && roles != "tf") {
    return Fail("not one primary and one replica " + when + " (in recovery, by instance: " + roles +
                ")");
  }
  primary_ = roles == "ft" ? 0 : 1;
  return true;
}

// The primary holds the model; the replica replays to the primary's position and holds it too.
bool HistoryRun::CheckLive(const ModelState& expected, const std::string& when) {
  if (std::string diff = StateDifference(expected, Sql(kStateSql)); !diff.empty()) {
    return Fail("the live data " + when + " is not the model's: " + diff);
  }
  if (Sql("SELECT pg_is_in_recovery()") != "f") {
    return Fail("the primary, instance " + std::to_string(primary_) + ", is in recovery " + when);
  }
  const std::string lsn = Sql("SELECT pg_current_wal_insert_lsn()");
  if (!ReplicaReplayed(lsn)) {
    return Fail("the replica did not replay to the primary's " + lsn + " " + when + "\n" +
                pg_->LogTail(replica()));
  }
  std::string diff = StateDifference(expected, Sql(kStateSql, replica()));
  return diff.empty() || Fail("the replica " + when + " is not the model's: " + diff);
}

// A restore that replaced data names the copy it kept, and that copy holds exactly that data.
bool HistoryRun::CheckKept(const std::string& output, const ModelState& replaced) {
  std::optional<std::string> kept = KeptCopy(output);
  if (!kept) {
    return replaced.Text() == model_.Text() ||
           Fail("the restore replaced data and named no kept copy: " + output);
  }
  std::string diff =
      StateDifference(replaced, StateOfDirectory(*kept, pg_->instance(0).port + 1001));
  Log("  kept copy " + *kept);
  return diff.empty() || Fail("the kept copy '" + *kept + "' is not the data replaced: " + diff);
}

// Every restore, switchover and failover promotes onto a timeline no history took before.
bool HistoryRun::CheckNewHistory(const CmdResult& done) {
  uint32_t timeline = Timeline();
  Log("  now on timeline " + std::to_string(timeline) + ", primary instance " +
      std::to_string(primary_));
  if (timeline <= highest_timeline_) {
    return Fail("the primary is on timeline " + std::to_string(timeline) +
                ", taken already (highest seen " + std::to_string(highest_timeline_) +
                "): " + done.out + done.err);
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
    return Fail("segment " + segment + " was not archived; " + failures + "\n" +
                pg_->LogTail(primary_));
  }
  return failures.rfind("0 failed", 0) == 0 ||
         Fail("the archiver failed: " + failures + "\n" + pg_->LogTail(primary_));
}

// The copy ends recovery at the backup's end: one still in recovery is not the snapshot's data
// but a standby of the live cluster (a standby.signal in the tree), replaying what came after.
bool HistoryRun::CheckRescued(const Snapshot& snapshot) {
  const std::string name = "rescued-" + std::to_string(++rescues_);
  RescuedPostgres rescued = RescueWithStockRestic(
      hs_, snapshot.id, name, kDataPath, pg_->instance(0).port + 1000,
      std::string("SELECT pg_is_in_recovery()::text || ' ' || (") + kStateSql + ")");
  // A copy that ran a restore_command may have left a fetch writing into it (error_code: no throw).
  std::error_code ignored;
  fs::remove_all(hs_.Path(name), ignored);
  fs::remove_all(hs_.Path(name + "-sock"), ignored);
  if (rescued.verify_exit != 0 || !rescued.started) {
    return Fail("snapshot " + snapshot.id + " does not restore with stock restic: " +
                rescued.verify_output + rescued.start_output);
  }
  const std::string rows = FirstLine(rescued.rows);
  if (rows.rfind("false ", 0) != 0) {
    return Fail("snapshot " + snapshot.id +
                " restored by stock restic is still in recovery: " + rows);
  }
  std::string diff = StateDifference(snapshot.state, rows.substr(6));
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
  RunPropertySeeds("history-property", PropertySeedsFromEnv(kCiSeeds), PropertyStepsFromEnv(6),
                   [](uint64_t seed) { return std::make_unique<HistoryRun>(seed); });
}

}  // namespace
}  // namespace history_property_test
}  // namespace hasteward::testing
