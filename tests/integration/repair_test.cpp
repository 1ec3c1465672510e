// Repair on real sandbox clusters, driving the hasteward binary: every row of the safety table
// gives its documented outcome with the data directories untouched on refusal; replicas that lost
// their data directory, were stopped for a long time or broke their replication thread are healed
// with every row written before and during the repair; a PostgreSQL split-brain is captured
// (type=diverged, one job) before a forced targeted heal; Galera recovers from kill -9 of every
// node by bootstrapping from the most advanced node without losing a committed row.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/temp_dir.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/postgres_crash.h"
#include "support/replaced_data.h"
#include "support/sandbox_cluster.h"
#include "support/trim.h"

namespace hasteward::testing {
namespace {

using platform::EngineKind;

class RepairTest : public ::testing::Test {
 protected:
  void Up(EngineKind engine, int instances) {
    auto c = SandboxCluster::Create({.engine = engine,
                                     .instances = instances,
                                     .replication_mode = "async",
                                     .name = "",
                                     .ns = "rt"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    sc_ = std::move(*c);
    HastewardEnv::Options options;
    options.temp_prefix = "hs-repair-";
    options.password = "repair-test";
    options.state_dir = sc_->state_dir();
    options.inventory = sc_->inventory_path();
    options.repository = sc_->state_dir() + "/../repo";
    hs_ = std::make_unique<HastewardEnv>(options);
    ASSERT_EQ(hs_->Run({"repo", "init"}).exit_code, 0);
  }

  // A command on this cluster: <verb> -e <engine> -c <name> -n rt <args...>
  CmdResult On(const std::string& verb, std::vector<std::string> args = {}) {
    std::vector<std::string> a = {
        verb, "-e", platform::EngineKindName(sc_->cluster().engine), "-c", sc_->cluster().name,
        "-n", "rt"};
    a.insert(a.end(), args.begin(), args.end());
    return hs_->Run(a);
  }
  std::string Sql(int n, const std::string& sql, const std::string& db = "") {
    auto r = sc_->Sql(n, sql, db);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << sql;
    return r.ok() ? *r : "";
  }
  std::map<std::string, std::string> Digest(int n) { return TreeDigest(sc_->instance(n).data_dir); }
  void Stop(int n) {
    ASSERT_EQ(hs_->Run({"instance", "stop", "-c", sc_->cluster().name, "-n", "rt", "-i",
                        std::to_string(n)})
                  .exit_code,
              0);
  }
  void Start(int n) {
    ASSERT_EQ(hs_->Run({"instance", "start", "-c", sc_->cluster().name, "-n", "rt", "-i",
                        std::to_string(n)})
                  .exit_code,
              0);
  }
  int Verdict() { return On("triage").exit_code; }
  // Polls (30 s) until instance n has every id 1..want in t (rows replicate asynchronously).
  bool PollCount(int n, int want, const std::string& db = "") {
    std::string q = sc_->cluster().engine == EngineKind::kPostgres
                        ? "SELECT count(*) FROM t WHERE id <= " + std::to_string(want) + ";"
                        : "SELECT count(*) FROM shop.t WHERE id <= " + std::to_string(want) + ";";
    for (int tries = 0; tries < 60; ++tries) {
      auto r = sc_->Sql(n, q, db);
      if (r.ok() && Trim(*r) == std::to_string(want))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }

  // Points the inventory's PostgreSQL bin_dir at a copy whose pg_dumpall first sleeps 1.5 s, so
  // the captures of one repair job are taken in different wall-clock seconds.
  void SlowDownPgDumpall() {
    const std::string real = "/usr/lib/postgresql/15/bin";
    std::string slow = sc_->state_dir() + "/../slow-bin";
    ASSERT_TRUE(core::MakeDirs(slow, 0755).ok());
    for (const auto& entry : std::filesystem::directory_iterator(real)) {
      std::string name = entry.path().filename().string();
      if (name != "pg_dumpall")
        std::filesystem::create_symlink(entry.path(), std::filesystem::path(slow) / name);
    }
    WriteFile(slow + "/pg_dumpall", "#!/bin/sh\nsleep 1.5\nexec " + real + "/pg_dumpall \"$@\"\n");
    ::chmod(slow.c_str(), 0755);  // the tools may run as the database user
    ::chmod((slow + "/pg_dumpall").c_str(), 0755);
    auto inventory = core::ReadFileToString(sc_->inventory_path());
    ASSERT_TRUE(inventory.ok());
    std::string text = *inventory;
    for (size_t at = text.find(real); at != std::string::npos; at = text.find(real, at))
      text.replace(at, real.size(), slow);
    WriteFile(sc_->inventory_path(), text);
  }

  std::unique_ptr<SandboxCluster> sc_;
  std::unique_ptr<HastewardEnv> hs_;  // made by Up() on the sandbox cluster's directories
};

// Rows 1..n of table t(id int primary key) as one comma list.
std::string Count(const std::string& out) {
  std::string s = out;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

TEST_F(RepairTest, PostgresSafetyTableHealsAndSplitBrain) {
  Up(EngineKind::kPostgres, 3);
  Sql(0,
      "CREATE TABLE t (id int PRIMARY KEY, side text); INSERT INTO t SELECT g, 'before' FROM "
      "generate_series(1, 100) g;");

  // Target is the primary: HARD STOP, no override; nothing touched.
  Stop(2);  // a static data dir to checksum
  auto before2 = Digest(2);
  for (bool force : {false, true}) {
    std::vector<std::string> a = {"-i", "0"};
    if (force)
      a.push_back("--force");
    auto r = On("repair", a);
    EXPECT_EQ(r.exit_code, 24) << r.out << r.err;
    EXPECT_NE(r.err.find("HARD STOP"), std::string::npos) << r.err;
  }
  // Healthy target: skipped (no escrow taken, exit reflects the degraded cluster).
  auto skip = On("repair", {"-i", "1"});
  EXPECT_NE(skip.out.find("healthy, skipped"), std::string::npos) << skip.out << skip.err;
  EXPECT_EQ(Digest(2), before2);

  // Stopped for a long time: rows written meanwhile, many WAL segments; then untargeted repair
  // while a writer keeps inserting. Instance 1 additionally loses its data directory.
  Sql(0,
      "INSERT INTO t SELECT g, 'while-stopped' FROM generate_series(101, 5000) g; SELECT "
      "pg_switch_wal();");
  Stop(1);
  ASSERT_TRUE(core::RemoveAll(sc_->instance(1).data_dir).ok());
  EXPECT_EQ(Verdict(), 4);
  auto stopped2 = Digest(2);
  auto dry = On("repair", {"--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("dry-run plan"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("heal: '" + sc_->instance(1).name + "'"), std::string::npos) << dry.out;
  EXPECT_EQ(Digest(2), stopped2);
  std::atomic<bool> stop{false};
  std::atomic<int> written{5000};
  std::thread writer([&] {
    while (!stop) {
      int id = written + 1;
      if (sc_->Sql(0, "INSERT INTO t VALUES (" + std::to_string(id) + ", 'during');").ok())
        written = id;
    }
  });
  auto heal = On("repair", {"--heal-timeout", "120s"});
  stop = true;
  writer.join();
  ASSERT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  EXPECT_NE(heal.err.find("escrow: snapshot"), std::string::npos) << heal.err;
  EXPECT_NE(heal.err.find("was absent"), std::string::npos) << heal.err;  // deleted data dir
  EXPECT_NE(heal.err.find("moved data directory"), std::string::npos) << heal.err;
  EXPECT_GT(written.load(), 5000);
  EXPECT_EQ(Verdict(), 0);
  for (int n : {1, 2}) {
    ASSERT_TRUE(PollCount(n, written.load())) << "instance " << n;
  }

  // Split-brain: promote instance 2 and write on both sides.
  Sql(2, "SELECT pg_promote(true, 60);");
  Sql(2, "INSERT INTO t VALUES (900001, 'promoted-side');");
  Sql(0, "INSERT INTO t VALUES (900002, 'old-primary-side');");
  EXPECT_EQ(Verdict(), 5);
  auto hard = On("repair");
  EXPECT_EQ(hard.exit_code, 5) << hard.err;
  EXPECT_NE(hard.err.find("HARD STOP"), std::string::npos);
  auto unforced = On("repair", {"-i", "2"});
  EXPECT_EQ(unforced.exit_code, 5) << unforced.err;
  SlowDownPgDumpall();  // the escrow dump now outlasts a second (defect h below)
  auto forced = On("repair", {"-i", "2", "--force", "--json"});
  ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
  auto j = nlohmann::json::parse(forced.out);
  ASSERT_EQ(j["diverged_snapshots"].size(), 3u) << forced.out;
  // Every snapshot of the repair job carries the job's start time (README "Snapshot
  // Timestamps"): the escrow and the three diverged captures, taken seconds apart.
  std::map<std::string, std::string> times;
  for (const auto& s : nlohmann::json::parse(hs_->Run({"get", "backups", "--json"}).out))
    times[s["id"].get<std::string>()] = s["time"].get<std::string>();
  std::string escrow_time = times[j["escrow_snapshot"].get<std::string>()];
  ASSERT_FALSE(escrow_time.empty()) << forced.out;
  for (const auto& d : j["diverged_snapshots"]) {
    std::string id = d.get<std::string>().substr(0, 64);
    EXPECT_EQ(times[id], escrow_time) << "diverged capture " << id << " of the same repair job";
  }
  EXPECT_EQ(j["after"]["verdict"], "healthy");
  // Every diverged capture exports; the two writable sides hold their own rows.
  std::string all;
  for (const auto& d : j["diverged_snapshots"]) {
    std::string id = d.get<std::string>().substr(0, 8);
    auto e = On("export", {"--snapshot", id, "-o", "-"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    all += e.out;
    if (d.get<std::string>().find("/2-pgdumpall.sql") != std::string::npos) {
      EXPECT_NE(e.out.find("900001\tpromoted-side"), std::string::npos);
    }
    if (d.get<std::string>().find("/0-pgdumpall.sql") != std::string::npos) {
      EXPECT_NE(e.out.find("900002\told-primary-side"), std::string::npos);
    }
  }
  auto list = hs_->Run({"get", "backups", "-t", "diverged", "--json"});
  auto snaps = nlohmann::json::parse(list.out);
  ASSERT_EQ(snaps.size(), 3u);
  EXPECT_EQ(snaps[0]["job"], snaps[2]["job"]);
  EXPECT_EQ(Count(Sql(2, "SELECT count(*) FROM t WHERE id = 900002;")), "1");

  // No healthy donor: every instance stopped; ABORT and nothing touched.
  for (int n : {0, 1, 2})
    Stop(n);
  std::vector<std::map<std::string, std::string>> digests = {Digest(0), Digest(1), Digest(2)};
  auto abort = On("repair");
  EXPECT_EQ(abort.exit_code, 25) << abort.err;
  auto abort_t = On("repair", {"-i", "1", "--force"});
  EXPECT_EQ(abort_t.exit_code, 25) << abort_t.err;
  for (int n : {0, 1, 2})
    EXPECT_EQ(Digest(n), digests[static_cast<size_t>(n)]) << n;
}

// Issue finding 2: a crashed primary's commits after its last checkpoint. On dbd126e a stopped
// instance's position was its last checkpoint, so after a failover to a standby that never received
// those commits the old primary looked behind the new timeline's fork: `repair` re-cloned it and
// deleted its moved-aside data after the heal. Its position is now the end of its WAL, past the
// fork: it diverged, the repair refuses, and its data directory is untouched; --force heals it and
// keeps that directory (no snapshot can capture a stopped instance), with every commit in it.
TEST_F(RepairTest, PostgresCrashedPrimarysCommitsAfterItsCheckpointAreNeverReclonedAway) {
  Up(EngineKind::kPostgres, 2);
  Sql(0,
      "CREATE TABLE t (id int PRIMARY KEY, side text); INSERT INTO t SELECT g, 'before' FROM "
      "generate_series(1, 100) g; CHECKPOINT; INSERT INTO t VALUES (101, 'after checkpoint')");
  ASSERT_TRUE(PollCount(1, 101)) << "the standby did not replay past the checkpoint";
  Stop(1);
  // Durable before the crash (the sandbox commits asynchronously).
  Sql(0,
      "SET synchronous_commit = on; INSERT INTO t SELECT g, 'only on the old primary' FROM "
      "generate_series(102, 400) g");
  ASSERT_TRUE(KillPostgresHard(sc_->instance(0)).ok());
  Start(1);
  Sql(1, "SELECT pg_promote(true, 60)");
  auto kept = Digest(0);

  auto triage = On("triage", {"--json"});
  EXPECT_NE(triage.out.find("\"position_source\":\"end_of_wal\""), std::string::npos) << triage.out;
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{}, {"-i", "0"}}) {
    auto repair = On("repair", args);
    EXPECT_EQ(repair.exit_code, 5) << repair.out << repair.err;
    EXPECT_EQ(Digest(0), kept) << "the repair changed the old primary's data";
  }
  // With --force it is healed; no snapshot could capture it (it is stopped), so its data
  // directory is kept, and the log says where.
  const std::string data_dir = sc_->instance(0).data_dir;
  auto forced = On("repair", {"-i", "0", "--force", "--heal-timeout", "120s"});
  ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
  auto replaced = ReplacedDataDirectories(data_dir);
  ASSERT_EQ(replaced.size(), 1U) << forced.err;
  EXPECT_NE(forced.err.find(replaced[0].string()), std::string::npos) << forced.err;
  // The commits are still there: the kept directory, started alone in place of the healed one,
  // holds all 400 rows.
  Stop(0);
  std::filesystem::rename(data_dir, data_dir + ".healed");
  std::filesystem::rename(replaced[0], data_dir);
  ASSERT_TRUE(core::RemoveAll(data_dir + "/standby.signal").ok());
  Start(0);
  EXPECT_EQ(Count(Sql(0, "SELECT count(*) FROM t")), "400");
}

TEST_F(RepairTest, MariadbBrokenAndStoppedReplicasHealErrantTransactionDetected) {
  Up(EngineKind::kMariadb, 3);
  Sql(0,
      "CREATE DATABASE shop; CREATE TABLE shop.t (id int PRIMARY KEY, v text) ENGINE=InnoDB; "
      "INSERT INTO shop.t VALUES (1, 'a'), (2, 'b');");
  ASSERT_TRUE(PollCount(1, 2));
  // Broken replication thread: a conflicting row on replica 1 (not binlogged), then the same key
  // on the primary stops its SQL thread with a duplicate-key error.
  Sql(1, "SET SESSION sql_log_bin=0; INSERT INTO shop.t VALUES (3, 'conflict');");
  Sql(0, "INSERT INTO shop.t VALUES (3, 'primary');");
  // Replica 2 stopped for a long time while rows are written.
  Stop(2);
  Sql(0, "INSERT INTO shop.t SELECT seq, 'bulk' FROM seq_4_to_200;", "shop");
  EXPECT_EQ(Verdict(), 4);
  std::atomic<bool> stop{false};
  std::atomic<int> written{200};
  std::thread writer([&] {
    while (!stop) {
      int id = written + 1;
      if (sc_->Sql(0, "INSERT INTO shop.t VALUES (" + std::to_string(id) + ", 'during');").ok())
        written = id;
    }
  });
  auto heal = On("repair", {"--heal-timeout", "120s"});
  stop = true;
  writer.join();
  ASSERT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  EXPECT_NE(heal.err.find("dropped the user databases"), std::string::npos) << heal.err;
  for (int n : {1, 2})
    ASSERT_TRUE(PollCount(n, written.load())) << "instance " << n;
  EXPECT_EQ(Trim(Sql(1, "SELECT v FROM shop.t WHERE id = 3;")), "primary");
  EXPECT_EQ(Verdict(), 0);

  // Errant transaction: a write on replica 2 with the binlog on.
  Sql(2,
      "SET GLOBAL read_only=OFF; INSERT INTO shop.t VALUES (999999, 'errant'); "
      "SET GLOBAL read_only=ON;");
  auto t = On("triage");
  EXPECT_EQ(t.exit_code, 5) << t.out;
  EXPECT_NE(t.out.find("errant transactions"), std::string::npos) << t.out;
  auto hard = On("repair");
  EXPECT_EQ(hard.exit_code, 5);
}

// Defect l of issue 11: the heal dropped the replica's databases and reset its binlog before
// the donor's dump had arrived, so a donor dump that failed mid-stream left the replica empty.
// The donor's mariadb-dump is a wrapper that passes 64 KiB of the real dump and exits 7.
TEST_F(RepairTest, MariadbHealWithFailingDonorDumpKeepsTheReplicaData) {
  Up(EngineKind::kMariadb, 2);
  Sql(0, "CREATE DATABASE shop; CREATE TABLE shop.t (id int PRIMARY KEY, v text) ENGINE=InnoDB;");
  Sql(0, "INSERT INTO shop.t SELECT seq, repeat('x', 200) FROM seq_1_to_2000;", "shop");
  ASSERT_TRUE(PollCount(1, 2000));
  // Break replica 1's SQL thread (a conflicting row, not binlogged) so the repair heals it.
  Sql(1, "SET SESSION sql_log_bin=0; INSERT INTO shop.t VALUES (2001, 'conflict');");
  Sql(0, "INSERT INTO shop.t VALUES (2001, 'primary');");
  EXPECT_EQ(Verdict(), 4);

  std::string fail_bin = sc_->state_dir() + "/../failbin";
  ASSERT_EQ(::mkdir(fail_bin.c_str(), 0755), 0);
  WriteFile(fail_bin + "/mariadb-dump",
            "#!/bin/sh\n/usr/bin/mariadb-dump \"$@\" | head -c 65536\nexit 7\n");
  ASSERT_EQ(::chmod((fail_bin + "/mariadb-dump").c_str(), 0755), 0);
  std::string fail_inv = sc_->state_dir() + "/../fail-inventory.yaml";
  ASSERT_EQ(RunCommand({"sh", "-c",
                        "sed -E 's#^( *)binDir: .*#\\1binDir: " + fail_bin + "#' '" +
                            sc_->inventory_path() + "' > '" + fail_inv + "'"})
                .exit_code,
            0);
  auto failed = On("repair", {"--no-escrow", "--heal-timeout", "60s", "--inventory", fail_inv});
  EXPECT_EQ(failed.exit_code, 23) << failed.out << failed.err;
  EXPECT_NE(failed.err.find("exited with status 7"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("nothing on '" + sc_->instance(1).name + "' was changed"),
            std::string::npos)
      << failed.err;
  // The replica still holds its databases and rows.
  EXPECT_EQ(Trim(Sql(1, "SELECT count(*) FROM shop.t;")), "2001");
  EXPECT_EQ(Trim(Sql(1, "SELECT v FROM shop.t WHERE id = 2001;")), "conflict");

  // A normal heal still works.
  auto heal = On("repair", {"--heal-timeout", "120s"});
  ASSERT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  EXPECT_NE(heal.err.find("dumped '" + sc_->instance(0).name + "' completely"), std::string::npos)
      << heal.err;
  EXPECT_EQ(Trim(Sql(1, "SELECT v FROM shop.t WHERE id = 2001;")), "primary");
  Sql(0, "INSERT INTO shop.t VALUES (2002, 'after');");
  EXPECT_TRUE(PollCount(1, 2002));
  EXPECT_EQ(Verdict(), 0);
}

// Pids of every node's server (from the pid files).
std::vector<pid_t> NodePids(const SandboxCluster& sc) {
  std::vector<pid_t> out;
  for (const auto& i : sc.cluster().instances) {
    std::ifstream f(i.data_dir + "/../mariadbd.pid");
    pid_t p = 0;
    if (f >> p)
      out.push_back(p);
  }
  return out;
}

TEST_F(RepairTest, GaleraAllNodesKilledRecoversFromTheMostAdvancedNode) {
  Up(EngineKind::kGalera, 3);
  Sql(0, "CREATE DATABASE shop; CREATE TABLE shop.t (id int PRIMARY KEY, v text) ENGINE=InnoDB;");
  Sql(0, "INSERT INTO shop.t SELECT seq, 'first' FROM seq_1_to_100;", "shop");
  auto pids = NodePids(*sc_);
  ASSERT_EQ(pids.size(), 3u);
  ::kill(pids[2], SIGKILL);  // node 2 misses the next writes
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (int tries = 0; tries < 40; ++tries) {  // the two survivors keep a Primary component
    if (sc_->Sql(0, "INSERT INTO shop.t SELECT seq, 'second' FROM seq_101_to_200;", "shop").ok())
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_EQ(Trim(Sql(1, "SELECT count(*) FROM shop.t;")), "200");
  ::kill(pids[0], SIGKILL);
  ::kill(pids[1], SIGKILL);
  core::PollUntil([&] { return Verdict() != 0; }, std::chrono::seconds(10),
                  std::chrono::milliseconds(250));
  auto t = On("triage", {"--json"});
  EXPECT_EQ(t.exit_code, 4) << t.out << t.err;
  auto heal = On("repair", {"--heal-timeout", "180s"});
  ASSERT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  EXPECT_TRUE(heal.out.find("bootstrap: '" + sc_->instance(0).name + "'") != std::string::npos ||
              heal.out.find("bootstrap: '" + sc_->instance(1).name + "'") != std::string::npos)
      << heal.out;
  for (int n : {0, 1, 2})
    EXPECT_EQ(Trim(Sql(n, "SELECT count(*) FROM shop.t;")), "200") << n;
  EXPECT_EQ(Verdict(), 0);
  // On the local platform the bootstrapped node's state is kept in a directory beside its data
  // directory, <data_dir>.hasteward-kept-<stamp>, and the log names each kept file.
  int kept_nodes = 0;
  for (int n : {0, 1, 2}) {
    const std::filesystem::path data(sc_->instance(n).data_dir);
    for (const auto& entry : std::filesystem::directory_iterator(data.parent_path())) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(data.filename().string() + ".hasteward-kept-", 0) != 0)
        continue;
      ++kept_nodes;
      EXPECT_TRUE(std::filesystem::exists(entry.path() / "grastate.dat")) << entry.path();
      EXPECT_TRUE(std::filesystem::exists(entry.path() / "galera.cache")) << entry.path();
      EXPECT_NE((heal.out + heal.err).find("'" + (entry.path() / "grastate.dat").string() + "'"),
                std::string::npos)
          << heal.err;
    }
  }
  EXPECT_EQ(kept_nodes, 1) << "only the bootstrapped node's state is replaced";

  // A node with another cluster UUID in its grastate.dat is split-brain.
  Stop(2);
  std::string gs = sc_->instance(2).data_dir + "/grastate.dat";
  std::ifstream in(gs);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto pos = text.find("uuid:");
  ASSERT_NE(pos, std::string::npos);
  auto eol = text.find('\n', pos);
  text = text.substr(0, pos) + "uuid:    99999999-aaaa-bbbb-cccc-dddddddddddd" + text.substr(eol);
  auto s = text.find("seqno:");
  text = text.substr(0, s) + "seqno:   7" + text.substr(text.find('\n', s));
  std::ofstream(gs) << text;
  auto sb = On("triage");
  EXPECT_EQ(sb.exit_code, 5) << sb.out;
  EXPECT_NE(sb.out.find("different cluster state UUIDs"), std::string::npos) << sb.out;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return {(std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()};
}

// Rewrites every instance's `start: [...]` line of an inventory: removed when `replacement` is
// empty (the platform default start command applies), else replaced by `start: <replacement>`.
void SetStartCommands(const std::string& inventory, const std::string& replacement) {
  std::istringstream in(ReadText(inventory));
  std::string out;
  std::string line;
  while (std::getline(in, line)) {
    auto key = line.find("start: [");
    if (key != std::string::npos && line.find_first_not_of(' ') == key) {
      if (replacement.empty())
        continue;
      line = line.substr(0, key).append("start: ").append(replacement);
    }
    out += line + "\n";
  }
  WriteFile(inventory, out);
}

// Defect d of issue 11: with no `start:` in the inventory, the bootstrap ran "--wsrep-new-cluster"
// as a program after writing safe_to_bootstrap: 1. A failing bootstrap start now sets the flag
// back to 0; with the default start command the cluster comes back with every committed row.
TEST_F(RepairTest, GaleraBootstrapWithDefaultStartCommandAndFailedStartUndone) {
  Up(EngineKind::kGalera, 3);
  Sql(0, "CREATE DATABASE shop; CREATE TABLE shop.t (id int PRIMARY KEY, v text) ENGINE=InnoDB;");
  Sql(0, "INSERT INTO shop.t SELECT seq, 'row' FROM seq_1_to_300;", "shop");
  auto pids = NodePids(*sc_);
  ASSERT_EQ(pids.size(), 3u);
  for (pid_t p : pids)
    ::kill(p, SIGKILL);
  core::PollUntil([&] { return Verdict() != 0; }, std::chrono::seconds(10),
                  std::chrono::milliseconds(250));

  // A start command that fails: the repair fails and no node claims safe_to_bootstrap: 1.
  SetStartCommands(sc_->inventory_path(), "[/bin/false]");
  auto failed = On("repair", {"--heal-timeout", "60s"});
  EXPECT_NE(failed.exit_code, 0) << failed.out << failed.err;
  EXPECT_NE(failed.err.find("safe_to_bootstrap: 0 again"), std::string::npos) << failed.err;
  for (int n : {0, 1, 2}) {
    std::string state = ReadText(sc_->instance(n).data_dir + "/grastate.dat");
    EXPECT_EQ(state.find("safe_to_bootstrap: 1"), std::string::npos) << n << ": " << state;
  }

  // No start command at all: the platform default gets --wsrep-new-cluster.
  SetStartCommands(sc_->inventory_path(), "");
  ASSERT_EQ(ReadText(sc_->inventory_path()).find("start:"), std::string::npos);
  auto heal = On("repair", {"--heal-timeout", "180s"});
  ASSERT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  EXPECT_NE(heal.out.find("bootstrap: '"), std::string::npos) << heal.out;
  for (int n : {0, 1, 2})
    EXPECT_EQ(Trim(Sql(n, "SELECT count(*) FROM shop.t;")), "300") << n;
  EXPECT_EQ(Verdict(), 0);
}

}  // namespace
}  // namespace hasteward::testing
