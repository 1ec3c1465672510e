// Native (physical) MariaDB and Galera backups end to end on real sandbox clusters, driving the
// hasteward binary: `backup --method native` stores mariadb-backup's mbstream as a data-directory
// tree with the binlog position and GTID as tags; destroying the primary's data directory and
// restoring gives back every table (per-table checksums), and the replica is rebuilt and
// replicates again; stock `restic restore` + `mariadb-backup --prepare` gives a directory mariadbd
// starts on; Galera keeps committing on the other nodes while the source node is desynced, a
// restore bootstraps the source node under a new cluster state UUID and joins the others, and
// repair keeps a node the restore did not rebuild as another history; a killed mariadb-backup
// saves nothing and leaves no node desynced; hasteward itself killed -9 in mid-backup saves nothing
// and leaves a repository that checks clean once its stale lock is removed; restore --dry-run and
// --method see the snapshot's method.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/fd.h"
#include "support/cluster_env.h"
#include "support/hasteward_env.h"
#include "support/killed_backup.h"
#include "support/killed_restore.h"
#include "support/sandbox_cluster.h"
#include "support/trim.h"

namespace hasteward::testing {
namespace {

using platform::EngineKind;

class NativeMariadbTest : public ::testing::Test {
 protected:
  void Up(EngineKind kind, int instances) {
    kind_ = kind == EngineKind::kGalera ? "galera" : "mariadb";
    auto c = SandboxCluster::Create(
        {.engine = kind, .instances = instances, .name = "shop", .ns = "nm"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    db_ = std::move(*c);
    ASSERT_EQ(Hs("repo", {"init"}).exit_code, 0);
    Sql(0, "CREATE DATABASE shop");
    Sql(0,
        "CREATE TABLE shop.accounts (id int PRIMARY KEY, balance bigint, "
        "note varchar(64)) ENGINE=InnoDB; INSERT INTO shop.accounts SELECT seq, seq * 7, "
        "md5(seq) FROM seq_1_to_50000; CREATE TABLE shop.events (id int AUTO_INCREMENT PRIMARY "
        "KEY, body text) ENGINE=InnoDB; INSERT INTO shop.events (body) SELECT concat('n', seq) "
        "FROM seq_1_to_5000; CREATE TABLE shop.during (id int AUTO_INCREMENT PRIMARY KEY, "
        "node int) ENGINE=InnoDB;",
        "shop");
  }

  CmdResult Hs(const std::string& verb, std::vector<std::string> args = {},
               const std::string& inventory = "") {
    args.insert(args.begin(), verb);
    HastewardEnv::EnvVars env;
    if (!inventory.empty())
      env["HASTEWARD_INVENTORY"] = inventory;
    return ClusterEnv::On(hs_, *db_, kind_).Hs(std::move(args), env);
  }

  std::string Sql(int ordinal, const std::string& sql, const std::string& database = "") {
    return SqlOn(*db_, sql, ordinal, database);
  }

  // Per-table checksums of the tables the backup must bring back.
  std::string Checksums(int ordinal) {
    return Sql(ordinal, "CHECKSUM TABLE shop.accounts, shop.events EXTENDED");
  }

  // Polls until instance `ordinal` has the same checksums as `want` (replication is async).
  bool ConvergesTo(int ordinal, const std::string& want) {
    for (int i = 0; i < 120; ++i) {
      auto r = db_->Sql(ordinal, "CHECKSUM TABLE shop.accounts, shop.events EXTENDED");
      if (r.ok() && Trim(*r) == want) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }

  bool Replicates(int from, int to, int marker) {
    Sql(from, "INSERT INTO shop.events (id, body) VALUES (" + std::to_string(marker) +
                  ", 'after restore')");
    for (int i = 0; i < 120; ++i) {
      auto r =
          db_->Sql(to, "SELECT count(*) FROM shop.events WHERE id = " + std::to_string(marker));
      if (r.ok() && Trim(*r) == "1") {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }

  std::vector<nlohmann::json> Snapshots() {
    auto r = hs_.Restic({"snapshots", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<nlohmann::json> out;
    for (auto& s : nlohmann::json::parse(r.out.empty() ? "[]" : r.out)) {
      out.push_back(s);
    }
    return out;
  }

  static std::string Tag(const nlohmann::json& snapshot, const std::string& key) {
    for (const auto& t : snapshot["tags"]) {
      std::string tag = t.get<std::string>();
      if (tag.rfind(key + "=", 0) == 0) {
        return tag.substr(key.size() + 1);
      }
    }
    return "";
  }

  std::string NativeBackup() {
    auto r = Hs("backup", {"--method", "native", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) {
      return "";
    }
    auto summary = nlohmann::json::parse(r.out.substr(r.out.rfind("{\"")));
    return summary.value("snapshot_id", "");
  }

  // An inventory whose instances find a mariadb-backup that passes 1 MiB of the real stream and
  // then dies by SIGKILL.
  std::string KillingInventory() {
    std::string kill_bin = hs_.Path("killbin");
    ::mkdir(kill_bin.c_str(), 0755);
    WriteFile(kill_bin + "/mariadb-backup",
              "#!/bin/sh\n/usr/bin/mariadb-backup \"$@\" | head -c 1048576\nkill -9 $$\n");
    ::chmod((kill_bin + "/mariadb-backup").c_str(), 0755);
    std::string inventory = hs_.Path("kill-inventory.yaml");
    auto sed = RunCommand({"sh", "-c",
                           "sed -E 's#^( *)binDir: .*#\\1binDir: " + kill_bin + "#' '" +
                               db_->inventory_path() + "' > '" + inventory + "'"});
    EXPECT_EQ(sed.exit_code, 0);
    return inventory;
  }

  std::string ClusterUuid(int ordinal) {
    return Sql(ordinal,
               "SELECT variable_value FROM information_schema.global_status WHERE "
               "variable_name = 'WSREP_CLUSTER_STATE_UUID'");
  }

  // grastate.dat of a stopped node ("uuid", "seqno", ...).
  std::map<std::string, std::string> Grastate(int ordinal) {
    auto text = core::ReadFileToString(db_->instance(ordinal).data_dir + "/grastate.dat");
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    std::map<std::string, std::string> out;
    std::istringstream lines(text.ok() ? *text : "");
    for (std::string line; std::getline(lines, line);) {
      size_t colon = line.find(':');
      if (!line.starts_with("#") && colon != std::string::npos)
        out[line.substr(0, colon)] = Trim(line.substr(colon + 1));
    }
    return out;
  }

  // Node `ordinal`, stopped before a restore that did not rebuild it, holds history `old_uuid` at
  // a seqno past the restored cluster's, and the restored cluster then commits more write sets
  // than it: by seqno alone the node looks behind. Repair refuses it as another history
  // (split-brain, 5) and changes nothing; with consent (-i N --force) it rejoins and its data
  // directory is kept whole where the output says.
  void ExpectAbandonedNodeKept(int ordinal, const std::string& old_uuid,
                               const OldDataDirectory& abandoned) {
    auto state = Grastate(ordinal);
    ASSERT_EQ(state["uuid"], old_uuid);
    const long long seqno = std::stoll(state["seqno"]);
    Sql(1,
        "CREATE TABLE shop.after (id int PRIMARY KEY) ENGINE=InnoDB;\nDELIMITER //\n"
        "BEGIN NOT ATOMIC FOR i IN 1.." +
            std::to_string(seqno + 10) +
            " DO INSERT INTO shop.after VALUES (i); END FOR; END//\nDELIMITER ;\n",
        "shop");
    auto refused = Hs("repair");
    EXPECT_EQ(refused.exit_code, 5) << refused.out << refused.err;
    EXPECT_EQ(Grastate(ordinal)["uuid"], old_uuid) << "the refused repair changed the node";
    auto forced = Hs("repair", {"-i", std::to_string(ordinal), "--force"});
    ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
    abandoned.ExpectKeptWholeAtANamedPath(forced.out + forced.err);
    EXPECT_EQ(ClusterUuid(ordinal), ClusterUuid(1));
  }

  void StopAll(int instances) {
    for (int i = 0; i < instances; ++i) {
      auto stop = Hs("instance", {"stop", "-i", std::to_string(i)});
      ASSERT_EQ(stop.exit_code, 0) << stop.err;
    }
  }

  HastewardEnv hs_{"hs-native-mb-", "native-mb-test"};
  std::unique_ptr<SandboxCluster> db_;
  std::string kind_;
};

TEST_F(NativeMariadbTest, DestroyedPrimaryIsRestoredAndTheReplicaReplicatesAgain) {
  Up(EngineKind::kMariadb, 2);
  std::string before = Checksums(0);
  ASSERT_TRUE(ConvergesTo(1, before));
  std::string id = NativeBackup();
  ASSERT_FALSE(id.empty());
  auto snaps = Snapshots();
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(Tag(snaps[0], "method"), "native");
  EXPECT_EQ(Tag(snaps[0], "source_instance"), db_->instance(1).name);  // the healthy replica
  EXPECT_EQ(Tag(snaps[0], "gtid_position"), Sql(0, "SELECT @@global.gtid_binlog_pos"));
  EXPECT_EQ(Tag(snaps[0], "gtid_slave_pos"), Sql(0, "SELECT @@global.gtid_binlog_pos"));
  EXPECT_NE(Tag(snaps[0], "binlog_file").find("mariadb-bin."), std::string::npos);
  EXPECT_FALSE(Tag(snaps[0], "binlog_pos").empty());
  EXPECT_EQ(Tag(snaps[0], "mariadb_version"), "10.11");
  EXPECT_EQ(snaps[0]["paths"][0], "/nm/shop/data");
  auto listed = nlohmann::json::parse(Hs("get", {"backups", "--json"}).out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["method"], "native");

  Sql(0, "DELETE FROM shop.accounts WHERE id % 3 = 0; INSERT INTO shop.events (body) VALUES ('x')");
  ASSERT_NE(Checksums(0), before);
  auto running = Hs("restore", {"--snapshot", id, "--yes"});
  EXPECT_EQ(running.exit_code, 24) << running.err;
  EXPECT_NE(running.err.find("is running"), std::string::npos) << running.err;

  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
  ASSERT_EQ(RunCommand({"rm", "-rf", db_->instance(0).data_dir}).exit_code, 0);
  auto unconfirmed = Hs("restore", {"--snapshot", id});
  EXPECT_EQ(unconfirmed.exit_code, 26) << unconfirmed.err;
  // The replica applied the transactions written after the backup: refused without consent,
  // captured as a diverged snapshot with it.
  auto newer = Hs("restore", {"--snapshot", id, "--yes"});
  EXPECT_EQ(newer.exit_code, 30) << newer.err;
  EXPECT_NE(newer.err.find("'" + db_->instance(1).name + "' holds GTID"), std::string::npos)
      << newer.err;
  auto restored = Hs("restore", {"--snapshot", id, "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  int diverged = 0;
  for (const auto& s : Snapshots())
    diverged += Tag(s, "type") == "diverged";
  EXPECT_EQ(diverged, 1) << "the replica's newer data was not captured";
  EXPECT_EQ(Checksums(0), before);
  EXPECT_EQ(Sql(0, "SELECT @@global.gtid_binlog_pos"), Tag(snaps[0], "gtid_position"))
      << "the restored primary continues the backup's GTID sequence";
  EXPECT_TRUE(ConvergesTo(1, before)) << "the replica was not rebuilt from the restored primary";
  EXPECT_TRUE(Replicates(0, 1, 900001)) << "the replica does not replicate after the restore";
  EXPECT_EQ(hs_.Restic({"check"}).exit_code, 0);
}

// Issue 30: kill -9 at every step of a native restore of a replication cluster, each time with a
// row newer than the snapshot on the stopped primary (consented: --confirm-rewind): the primary's
// data directory is its old data, untouched, or the restored tree with the old one complete where
// the output (or the swap journal) names it; the rerun exits 0, the primary holds the snapshot's
// rows at its GTID and the replica is rebuilt from it.
TEST_F(NativeMariadbTest, ARestoreKilledAtEveryStepLeavesOldOrNewDataAndTheRerunFinishes) {
  Up(EngineKind::kMariadb, 2);
  std::string before = Checksums(0);
  ASSERT_TRUE(ConvergesTo(1, before));
  std::string id = NativeBackup();
  ASSERT_FALSE(id.empty());
  const std::string gtid = Sql(0, "SELECT @@global.gtid_binlog_pos");
  const std::string data_dir = db_->instance(0).data_dir;
  const ClusterEnv shop = ClusterEnv::On(hs_, *db_, kind_);
  const std::vector<std::string> restore = {"restore", "--snapshot", id, "--yes",
                                            "--confirm-rewind"};
  int round = 0;
  for (const std::string failpoint :
       {"native-restore-prepared", "native-restore-tree", "native-restore-gated",
        "native-restore-swap", "native-restore-swapped", "native-restore-started",
        "native-restore-recloned"}) {
    SCOPED_TRACE(failpoint);
    const std::string mark = "round " + std::to_string(++round);
    Sql(0, "INSERT INTO shop.events (body) VALUES ('" + mark + "')");
    ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
    auto old = OldDataDirectory::Mark(data_dir, db_->instance(0).name, mark);

    auto killed = shop.Hs(restore, {{"HASTEWARD_FAILPOINT", failpoint}});
    ASSERT_EQ(killed.signal, SIGKILL) << killed.err;
    old.ExpectOldOrRestored("ibdata1");

    auto rerun = shop.Hs(restore);
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_EQ(Checksums(0), before);
    EXPECT_EQ(Sql(0, "SELECT @@global.gtid_binlog_pos"), gtid);
    EXPECT_TRUE(ConvergesTo(1, before)) << "the replica was not rebuilt";
    old.ExpectKeptWholeAtANamedPath(killed.err + rerun.err);
  }
  EXPECT_TRUE(Replicates(0, 1, 900002)) << "the replica does not replicate after the restore";
}

// Issue 49: a restore continues the backup's GTID numbering, so without a history of its own the
// restored primary's next transaction would be named like the abandoned history's first one after
// B1, and the replica holding the 500 rows written after restoring B1 (one transaction) looked
// "behind" B2, 20 transactions later on the abandoned history: the gate judged it "not newer"
// (only the stopped primary's unknown position stopped the restore; with that data directory lost
// it would have gone through, exit 0). In the new GTID domain the restore starts, they are newer:
// refused naming the replica, and kept with --confirm-rewind (a diverged snapshot of the replica,
// the primary's data directory moved aside).
TEST_F(NativeMariadbTest, RowsWrittenAfterARestoreAreNewerThanALaterBackupOfTheAbandonedHistory) {
  Up(EngineKind::kMariadb, 2);
  ASSERT_TRUE(ConvergesTo(1, Checksums(0)));
  const std::string b1 = NativeBackup();
  std::string abandoned;
  for (int i = 0; i < 20; ++i)  // 20 transactions: B2 is 20 sequence numbers past B1
    abandoned += "INSERT INTO shop.events (body) VALUES ('abandoned " + std::to_string(i) + "');";
  Sql(0, abandoned);
  ASSERT_TRUE(ConvergesTo(1, Checksums(0)));
  const std::string b2 = NativeBackup();
  ASSERT_FALSE(b1.empty() || b2.empty());
  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
  auto to_b1 = Hs("restore", {"--snapshot", b1, "--yes", "--confirm-rewind"});
  ASSERT_EQ(to_b1.exit_code, 0) << to_b1.err;
  EXPECT_EQ(Sql(0, "SELECT @@global.gtid_domain_id"), "1") << "a new history after the restore";

  Sql(0, "INSERT INTO shop.during (node) SELECT 7 FROM seq_1_to_500", "shop");  // one transaction
  const std::string written = Sql(0, "SELECT @@global.gtid_binlog_pos");
  EXPECT_NE(written.find("1-"), std::string::npos) << written;
  ASSERT_TRUE(Replicates(0, 1, 900003)) << "the replica does not replicate the new domain";
  EXPECT_EQ(Sql(1, "SELECT count(*) FROM shop.during"), "500");
  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
  auto refused = Hs("restore", {"--snapshot", b2, "--yes"});
  EXPECT_EQ(refused.exit_code, 30) << refused.err;
  const std::string replica = "'" + db_->instance(1).name + "' holds GTID";
  ASSERT_NE(refused.err.find(replica), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("(newer)", refused.err.find(replica)), std::string::npos)
      << refused.err;
  EXPECT_EQ(Sql(1, "SELECT count(*) FROM shop.during"), "500") << "nothing was replaced";

  auto diverged = [this] {
    int count = 0;
    for (const auto& snapshot : Snapshots())
      count += Tag(snapshot, "type") == "diverged";
    return count;
  };
  const int captured_before = diverged();
  auto rewound = Hs("restore", {"--snapshot", b2, "--yes", "--confirm-rewind"});
  ASSERT_EQ(rewound.exit_code, 0) << rewound.err;
  EXPECT_EQ(diverged(), captured_before + 1) << "the replica's 500 rows were not captured";
  const std::string kept = db_->instance(0).data_dir + ".hasteward-replaced-";
  EXPECT_NE((rewound.out + rewound.err).find(kept), std::string::npos)
      << "the primary's data was not kept aside: " << rewound.err;
  EXPECT_EQ(Sql(0, "SELECT count(*) FROM shop.during"), "0");
  EXPECT_EQ(Sql(0, "SELECT @@global.gtid_domain_id"), "2");
  EXPECT_TRUE(Replicates(0, 1, 900004)) << "the replica does not replicate after the rewind";
}

TEST_F(NativeMariadbTest, StockResticRestoreThenPrepareGivesADirectoryMariadbdStartsOn) {
  Up(EngineKind::kMariadb, 1);
  std::string before = Checksums(0);
  std::string id = NativeBackup();
  ASSERT_FALSE(id.empty());
  std::string target = hs_.Path("rescued");
  auto restore = hs_.Restic({"restore", id, "--target", target});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  std::string data = target + "/nm/shop/data";
  for (const std::string& dir : {target, target + "/nm", target + "/nm/shop"}) {
    ::chmod(dir.c_str(), 0755);  // restic makes its target 0700; mariadbd must reach below it
  }
  const std::string os_user = db_->instance(0).os_user.empty() ? "root" : db_->instance(0).os_user;
  auto prepared = RunCommand(
      {"runuser", "-u", os_user, "--", "mariadb-backup", "--prepare", "--target-dir=" + data});
  ASSERT_EQ(prepared.exit_code, 0) << prepared.out << prepared.err;
  std::string run = hs_.Path("rescued-run");
  ASSERT_EQ(RunCommand({"install", "-d", "-o", os_user, "-m", "0700", run}).exit_code, 0);
  std::string sock = run + "/sock";
  auto started =
      RunCommand({"sh", "-c",
                  "runuser -u " + os_user + " -- mariadbd --no-defaults --datadir=" + data +
                      " --socket=" + sock + " --pid-file=" + run + "/pid --log-error=" + run +
                      "/err --skip-networking --skip-grant-tables --innodb-buffer-pool-size=32M "
                      ">/dev/null 2>&1 &"});
  ASSERT_EQ(started.exit_code, 0);
  CmdResult rows;
  for (int i = 0; i < 120; ++i) {
    rows = RunCommand({"mariadb", "--no-defaults", "-S", sock, "-N", "-B", "-e",
                       "CHECKSUM TABLE shop.accounts, shop.events EXTENDED"});
    if (rows.exit_code == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(Trim(rows.out), before) << rows.err << RunCommand({"cat", run + "/err"}).out;
  RunCommand({"mariadb-admin", "--no-defaults", "-S", sock, "shutdown"});
}

TEST_F(NativeMariadbTest, VerifyPreparesTheSnapshotInAScratchServerAndReadsIt) {
  Up(EngineKind::kMariadb, 1);
  std::string id = NativeBackup();
  ASSERT_FALSE(id.empty());
  auto verified = hs_.Run(
      {"verify", "-e", "mariadb", "-c", "shop", "-n", "nm", "--snapshot", id}, "",
      {{"HASTEWARD_INVENTORY", db_->inventory_path()}, {"HASTEWARD_STATE_DIR", hs_.Path("vs")}});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find(": ok in"), std::string::npos) << verified.out;
  EXPECT_NE(verified.out.find("(3 tables)"), std::string::npos) << verified.out;
  EXPECT_EQ(Sql(0, "SELECT count(*) FROM shop.accounts"), "50000");
}

TEST_F(NativeMariadbTest, DryRunAndLatestSeeTheSnapshotsMethod) {
  Up(EngineKind::kMariadb, 1);
  std::string native = NativeBackup();
  ASSERT_FALSE(native.empty());
  auto dump = Hs("backup", {"--json"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  // "latest" is the dump (taken last) unless the method asks for native.
  auto latest_dump = Hs("restore", {"--dry-run", "--method", "dump", "--yes"});
  EXPECT_EQ(latest_dump.exit_code, 0) << latest_dump.err;
  EXPECT_NE(latest_dump.out.find("would restore dump snapshot"), std::string::npos)
      << latest_dump.out << latest_dump.err;
  auto latest_any = Hs("restore", {"--dry-run", "--yes"});
  EXPECT_NE(latest_any.out.find("would restore dump snapshot"), std::string::npos)
      << latest_any.out << latest_any.err;

  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
  // The native snapshot's plan is the data directory it replaces, not the dump's target.
  auto dry = Hs("restore", {"--dry-run", "--snapshot", native, "--yes"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would restore native snapshot " + native.substr(0, 8)), std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("data directory of '" + db_->instance(0).name + "'"), std::string::npos)
      << dry.out;
  auto latest_native = Hs("restore", {"--dry-run", "--method", "native", "--yes"});
  EXPECT_EQ(latest_native.exit_code, 0) << latest_native.err;
  EXPECT_NE(latest_native.out.find("native snapshot " + native.substr(0, 8)), std::string::npos)
      << latest_native.out;
  auto latest_env =
      hs_.Run({"restore", "-e", "mariadb", "-c", "shop", "-n", "nm", "--dry-run", "--yes"}, "",
              {{"HASTEWARD_INVENTORY", db_->inventory_path()},
               {"HASTEWARD_STATE_DIR", db_->state_dir()},
               {"HASTEWARD_BACKUP_METHOD", "native"}});
  EXPECT_NE(latest_env.out.find("native snapshot " + native.substr(0, 8)), std::string::npos)
      << latest_env.out << latest_env.err;
}

TEST_F(NativeMariadbTest, KilledMariadbBackupSavesNoSnapshot) {
  Up(EngineKind::kMariadb, 1);
  auto killed = Hs("backup", {"--method", "native"}, KillingInventory());
  EXPECT_EQ(killed.exit_code, 23) << killed.err;
  EXPECT_NE(killed.err.find("signal 9"), std::string::npos) << killed.err;
  EXPECT_TRUE(Snapshots().empty()) << "a killed mariadb-backup must not become a snapshot";
  auto check = hs_.Restic({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_FALSE(NativeBackup().empty());
}

// The scratch directories of native backups (`hasteward-mariadb-backup-<pid>-*` in /tmp) whose
// process is gone: what a backup killed with kill -9 leaves.
std::set<std::string> AbandonedScratchDirs() {
  const std::string prefix = "hasteward-mariadb-backup-";
  std::set<std::string> abandoned;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) {
      continue;
    }
    const std::string rest = name.substr(prefix.size());
    const size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || rest.find_first_not_of("0123456789") != dash) {
      continue;  // not an owned name (an older run's)
    }
    const pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      abandoned.insert(entry.path().string());
    }
  }
  return abandoned;
}

// Issue 33: hasteward itself killed -9 (with mariadb-backup, its process group) in the middle of
// an incremental native backup (support/killed_backup.h): 64 MiB of new rows that do not compress
// make it store four packs, so the poll catches it after the first. No snapshot, a repository that
// checks clean once `repo unlock` removed the stale lock, and the next backup restores every row.
TEST_F(NativeMariadbTest, AnIncrementalKilledMidwayLeavesNoSnapshotAndACheckableRepository) {
  Up(EngineKind::kMariadb, 1);
  ASSERT_FALSE(NativeBackup().empty());
  Sql(0,
      "CREATE TABLE shop.bulk (id int PRIMARY KEY, payload blob NOT NULL) ENGINE=InnoDB; "
      "INSERT INTO shop.bulk SELECT seq, random_bytes(1024) FROM seq_1_to_65536",
      "shop");
  const std::string sums = "CHECKSUM TABLE shop.accounts, shop.events, shop.bulk EXTENDED";
  const std::string before = Sql(0, sums);
  const ClusterEnv shop = ClusterEnv::On(hs_, *db_, kind_);
  ASSERT_TRUE(KillNativeBackupMidway(shop, hs_.Path("killed.err")));
  ExpectNoNewSnapshotAndACheckableRepository(shop, 1);
  const std::set<std::string> left = AbandonedScratchDirs();
  EXPECT_FALSE(left.empty()) << "the killed backup's scratch directory stays behind";

  std::string next = NativeBackup();
  ASSERT_FALSE(next.empty());
  for (const std::string& dir : left) {
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir
                                               << ": the next backup removes what a killed "
                                                  "one left";
  }
  ASSERT_EQ(Hs("instance", {"stop", "-i", "0"}).exit_code, 0);
  auto restored = Hs("restore", {"--snapshot", next, "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(Sql(0, sums), before);
}

TEST_F(NativeMariadbTest, GaleraCommitsDuringTheBackupAndARestoreRebuildsEveryNode) {
  Up(EngineKind::kGalera, 3);
  std::string before = Checksums(0);
  ASSERT_TRUE(ConvergesTo(1, before));
  // A killed backup leaves the source node synced again.
  auto killed = Hs("backup", {"--method", "native"}, KillingInventory());
  EXPECT_EQ(killed.exit_code, 23) << killed.err;
  EXPECT_TRUE(Snapshots().empty());
  EXPECT_EQ(Sql(1, "SELECT @@global.wsrep_desync"), "0");

  // Writes on node 0 commit while node 1 (the source) is read and desynced.
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::atomic<bool> saw_desync{false};
  std::thread writer([&] {
    while (!stop) {
      if (db_->Sql(0, "INSERT INTO shop.during (node) VALUES (0)").ok()) {
        ++committed;
      }
      auto desync = db_->Sql(1, "SELECT @@global.wsrep_desync");
      if (desync.ok() && Trim(*desync) == "1") {
        saw_desync = true;
      }
    }
  });
  std::string id = NativeBackup();
  stop = true;
  writer.join();
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(saw_desync.load()) << "the source node was never desynced during the backup";
  EXPECT_GT(committed.load(), 0);
  EXPECT_EQ(Sql(1, "SELECT @@global.wsrep_desync"), "0") << "the source node stays desynced";
  auto snaps = Snapshots();
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(Tag(snaps[0], "source_instance"), db_->instance(1).name);
  EXPECT_EQ(Tag(snaps[0], "wsrep_uuid"),
            Sql(0,
                "SELECT variable_value FROM information_schema.global_status WHERE "
                "variable_name = 'WSREP_CLUSTER_STATE_UUID'"));
  EXPECT_FALSE(Tag(snaps[0], "wsrep_seqno").empty());

  auto running = Hs("restore", {"--snapshot", id, "--yes"});
  EXPECT_EQ(running.exit_code, 24) << running.err;
  const std::string old_uuid = ClusterUuid(0);
  StopAll(3);
  ASSERT_EQ(RunCommand({"rm", "-rf", db_->instance(1).data_dir}).exit_code, 0);
  // Nodes 0 and 2 committed after the backup (the writer): their data needs consent, and is kept.
  auto newer = Hs("restore", {"--snapshot", id, "--yes"});
  EXPECT_EQ(newer.exit_code, 30) << newer.err;
  const auto abandoned = OldDataDirectory::Mark(db_->instance(2).data_dir, db_->instance(2).name,
                                                "the abandoned history");
  // Killed once node 0 joined the restored node 1: node 2, stopped before the restore, keeps the
  // abandoned history (the old cluster UUID, a seqno past the backup's).
  auto restored = ClusterEnv::On(hs_, *db_, kind_)
                      .Hs({"restore", "--snapshot", id, "--yes", "--confirm-rewind"},
                          {{"HASTEWARD_FAILPOINT", "native-restore-recloned"}});
  ASSERT_EQ(restored.signal, SIGKILL) << restored.out << restored.err;
  EXPECT_FALSE(KeptPathsNamedIn(restored.err, db_->instance(0).name).empty()) << restored.err;
  // The restore started a new history: a cluster state UUID of its own (issue 49).
  const std::string new_uuid = ClusterUuid(1);
  EXPECT_NE(new_uuid, Tag(snaps[0], "wsrep_uuid"));
  EXPECT_NE(new_uuid, old_uuid);
  EXPECT_EQ(ClusterUuid(0), new_uuid);
  ExpectAbandonedNodeKept(2, old_uuid, abandoned);
  for (int node = 0; node < 3; ++node) {
    EXPECT_EQ(Checksums(node), before) << "node " << node;
  }
  EXPECT_TRUE(Replicates(0, 2, 900002)) << "the nodes do not replicate after the restore";
  EXPECT_EQ(hs_.Restic({"check"}).exit_code, 0);
}

}  // namespace
}  // namespace hasteward::testing
