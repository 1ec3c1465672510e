// The local platform's integration scenarios through `hasteward --platform kubernetes`, against
// a real kube-apiserver with deploy/ applied (a story per engine: one published sandbox cluster,
// the tests continue it in order). The engines are the local platform's, unchanged; what differs is
// how instances are reached (pod exec, the Secrets, the pods' state) and how a CloudNativePG
// instance is stopped (its fencing annotation, honoured by FakeCnpgInstanceManager as CNPG's
// instance manager does):
//   - a backup taken through the API verifies (restored into a local scratch instance);
//   - a native backup (pg_basebackup from HASteward's side) restores through the API with equal
//     checksums (the tree streamed into the fenced pod through exec); a native MariaDB backup
//     restores on the instances' machine (through the API the discard gate refuses newer data
//     before anything is stopped; a Galera one refuses at once);
//   - a replica that lost its data directory while fenced (CNPG) or whose SQL thread broke
//     (MariaDB) is healed after an escrow backup, and replicates again;
//   - a split-brain triages as split-brain and its repair is refused; a Galera split-brain (two
//     cluster histories) names each node's history, and a forced repair captures both sides,
//     then heals the node through the API (the MariaDB suspended, its StatefulSet scaled past
//     the node, its Galera state reset through a helper pod, scaled back and resumed); a heal
//     that times out leaves the MariaDB resumed.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/poll_until.h"
#include "core/temp_dir.h"
#include "support/fake_kube_operators.h"
#include "support/kube_published_cluster.h"
#include "support/real_kube_audit.h"
#include "support/serve_process.h"
#include "support/trim.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;
using platform::EngineKind;
namespace resources = platform::kubernetes::resources;

template <EngineKind kEngine>
class KubeScenarioTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto kube = KubePublishedCluster::Start({.engine = kEngine,
                                             .name = kEngine == EngineKind::kPostgres ? "pg"
                                                     : kEngine == EngineKind::kGalera ? "galera"
                                                                                      : "maria",
                                             .instances = 2,
                                             .temp_prefix = "hs-kscen-"});
    if (!kube.ok()) {
      error_ = kube.status().ToString();
      return;
    }
    kube_ = std::move(kube).value();
    if (core::Status loaded = kube_->LoadShopDataset(); !loaded.ok()) {
      error_ = loaded.ToString();
      return;
    }
    // The dataset is written on instance 0; a backup taken from the replica before it applied the
    // rows holds what the replica had (a run saw "orders=0 items=0": the tables had replicated,
    // the rows not yet), so every test starts from a replica that caught up.
    if (!ReplicaCaughtUp(1)) {
      error_ = "instance 1 did not catch up with the shop dataset within 60 s: " + Checksums(1) +
               " against " + Checksums(0);
    }
  }
  static void TearDownTestSuite() { kube_.reset(); }
  void SetUp() override {
    ASSERT_TRUE(error_.empty()) << error_;
    ASSERT_NE(kube_, nullptr);
  }

  static KubePublishedCluster& kube() { return *kube_; }
  static std::string Sql(int ordinal, const std::string& sql, const std::string& db = "") {
    auto out = kube_->sandbox().Sql(ordinal, sql, db);
    EXPECT_TRUE(out.ok()) << sql << ": " << out.status().ToString();
    return out.ok() ? Trim(*out) : "ERROR " + out.status().ToString();
  }
  // ShopChecksums of instance `ordinal`, or "ERROR ..." (a dropped table shows as a difference).
  static std::string Checksums(int ordinal) {
    auto sums = kube_->ShopChecksums(ordinal);
    return sums.ok() ? *sums : "ERROR " + sums.status().ToString();
  }
  // The last 3000 bytes of instance `ordinal`'s error log (MariaDB), for failure messages.
  static std::string ErrorLogTail(int ordinal) {
    auto text = core::ReadFileToString(kube_->sandbox().instance(ordinal).log_file);
    return !text.ok() ? text.status().ToString()
                      : text->substr(text->size() > 3000 ? text->size() - 3000 : 0);
  }
  // Polls (60 s) until instance `ordinal` holds the primary's per-table checksums.
  static bool ReplicaCaughtUp(int ordinal) {
    auto primary = kube_->ShopChecksums(0);
    return primary.ok() && core::PollUntil(
                               [&] {
                                 auto replica = kube_->ShopChecksums(ordinal);
                                 return replica.ok() && *replica == *primary;
                               },
                               std::chrono::seconds(60));
  }
  // `triage --json` through the API: exit code and verdict.
  static std::pair<int, std::string> Triage() {
    auto t = kube_->Kube({"triage", "--json"});
    auto report = json::parse(t.out, nullptr, false);
    return {t.exit_code, report.is_object() ? report.value("verdict", "") : t.out + t.err};
  }
  // `verify --json` of `snapshot` through the API: the report, or null on failure.
  static json Verify(const std::string& snapshot) {
    auto v = kube_->Kube({"verify", "--snapshot", snapshot, "--json"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    auto out = json::parse(v.out, nullptr, false);
    return out.is_object() ? out["report"] : json();
  }
  // Rows of shop's tables in a verification report ("orders=5000 items=300").
  static std::string VerifiedRows(const json& report) {
    std::map<std::string, std::string> rows;
    for (const auto& t : report.value("tables", json::array())) {
      if (t.value("database", "") == "shop") {
        std::string table = t.value("table", "");
        table = table.substr(table.rfind('.') + 1);
        rows[table] = t["rows"].dump() + "/" + t.value("check", "");
      }
    }
    return "orders=" + rows["orders"] + " items=" + rows["items"];
  }

  static inline std::unique_ptr<KubePublishedCluster> kube_;
  static inline std::string error_;
};

using CnpgScenarioTest = KubeScenarioTest<EngineKind::kPostgres>;
using MariaDbScenarioTest = KubeScenarioTest<EngineKind::kMariadb>;
using GaleraScenarioTest = KubeScenarioTest<EngineKind::kGalera>;

// The snapshot id of `backup ... --json` (the last JSON object of its output).
std::string SnapshotIdOf(const CmdResult& backup) {
  size_t at = backup.out.rfind("{\"");
  if (backup.exit_code != 0 || at == std::string::npos) {
    return "";
  }
  return json::parse(backup.out.substr(at)).value("snapshot_id", "");
}

TEST_F(CnpgScenarioTest, ABackupTakenThroughTheApiVerifies) {
  std::string id = SnapshotIdOf(kube().Kube({"backup", "--json"}));
  ASSERT_FALSE(id.empty());
  json report = Verify(id);
  EXPECT_EQ(report["verdict"], "ok") << report.dump();
  EXPECT_EQ(VerifiedRows(report), "orders=5000/ok items=300/ok") << report.dump();
}

TEST_F(CnpgScenarioTest, ANativeBackupThroughTheApiRestoresWithEqualChecksums) {
  auto before = kube().ShopChecksums(0);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  auto backup = kube().Kube({"backup", "--method", "native", "--json"});
  std::string id = SnapshotIdOf(backup);
  ASSERT_FALSE(id.empty()) << backup.out << backup.err;
  EXPECT_EQ(Verify(id)["verdict"], "ok");
  Sql(0, "DELETE FROM orders WHERE id % 3 = 0; DROP TABLE items;", "shop");
  std::string damaged = Checksums(0);
  ASSERT_NE(damaged, *before);
  // Through the API: the tree streams into the fenced pod through exec
  // (kubernetes_native_restore_test covers the refusals). The damage is newer than the backup:
  // replacing it is consented (and the damaged data kept).
  ASSERT_EQ(kube().Kube({"instance", "stop", "-i", "0"}).exit_code, 0);
  auto restored = kube().Kube({"restore", "--snapshot", id, "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(Checksums(0), *before);
  EXPECT_TRUE(ReplicaCaughtUp(1)) << "the standby was re-cloned from the restored primary";
  EXPECT_EQ(Triage(), std::make_pair(0, std::string("healthy")));
}

TEST_F(CnpgScenarioTest, AFencedReplicaThatLostItsDataIsHealedAfterAnEscrowBackup) {
  // An admin fenced pg-2 (`kubectl cnpg fencing on pg pg-2`) and its volume was lost.
  auto fenced = kube().admin().Patch(
      resources::kCnpgClusters, kPlatformNamespace, "pg", platform::kubernetes::PatchType::kMerge,
      {{"metadata", {{"annotations", {{"cnpg.io/fencedInstances", "[\"pg-2\"]"}}}}}});
  ASSERT_TRUE(fenced.ok()) << fenced.status().ToString();
  // Done when the pod turns unready (what `kubectl get pod` shows): PostgreSQL has stopped.
  ASSERT_TRUE(core::PollUntil(
      [&] {
        auto pod = kube().admin().Get(resources::kPods, kPlatformNamespace, "pg-2");
        return pod.ok() && !pod->value("/status/containerStatuses/0/ready"_json_pointer, true);
      },
      std::chrono::seconds(30)))
      << "the instance manager stops a fenced instance";
  EXPECT_FALSE(kube().sandbox().Sql(1, "SELECT 1").ok());
  ASSERT_TRUE(core::RemoveAll(kube().sandbox().instance(1).data_dir).ok());
  Sql(0, "INSERT INTO items SELECT g, 'while-fenced' FROM generate_series(301, 400) g;", "shop");
  EXPECT_EQ(Triage(), std::make_pair(4, std::string("degraded")));

  auto repair = kube().Kube({"repair", "--heal-timeout", "120s", "--json"});
  ASSERT_EQ(repair.exit_code, 0) << repair.out << repair.err;
  json result = json::parse(repair.out);
  EXPECT_EQ(result["healed"], json::array({"pg-2"})) << repair.out;
  EXPECT_EQ(result["after"]["verdict"], "healthy") << repair.out;
  // The escrow: a backup of the donor taken before anything was destroyed, listed like any other.
  std::string escrow = result.value("escrow_snapshot", "");
  ASSERT_FALSE(escrow.empty()) << repair.out;
  auto listed = json::parse(kube().env().Run({"get", "backups", "--json"}).out);
  bool found = false;
  for (const auto& s : listed) {
    found |= s.value("id", "") == escrow && s.value("type", "") == "backup" &&
             s.value("namespace", "") == kPlatformNamespace;
  }
  EXPECT_TRUE(found) << escrow << " in " << listed.dump();
  // Unfenced by the repair, streaming again, with the rows written while it was down.
  auto cr = kube().admin().Get(resources::kCnpgClusters, kPlatformNamespace, "pg");
  ASSERT_TRUE(cr.ok()) << cr.status().ToString();
  EXPECT_FALSE(cr->value("/metadata/annotations"_json_pointer, json::object())
                   .contains("cnpg.io/fencedInstances"))
      << cr->dump();
  EXPECT_EQ(Sql(0, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"), "1");
  EXPECT_TRUE(ReplicaCaughtUp(1));
  EXPECT_EQ(kube().operator_api().OperatorGrantsUsed().count("patch postgresql.cnpg.io clusters"),
            1U);
}

TEST_F(CnpgScenarioTest, ASplitBrainTriagesAsSplitBrainAndItsRepairIsRefused) {
  Sql(1, "SELECT pg_promote(true, 60)");
  Sql(1, "INSERT INTO items VALUES (900001, 'promoted-side')", "shop");
  Sql(0, "INSERT INTO items VALUES (900002, 'old-primary-side')", "shop");
  EXPECT_EQ(Triage(), std::make_pair(5, std::string("split-brain")));
  auto refused = kube().Kube({"repair"});
  EXPECT_EQ(refused.exit_code, 5) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("HARD STOP"), std::string::npos) << refused.err;
  // Nothing was touched: each side keeps its own row.
  EXPECT_EQ(Sql(1, "SELECT name FROM items WHERE id = 900001", "shop"), "promoted-side");
  EXPECT_EQ(Sql(0, "SELECT name FROM items WHERE id = 900002", "shop"), "old-primary-side");
}

TEST_F(MariaDbScenarioTest, ABackupTakenThroughTheApiVerifies) {
  std::string id = SnapshotIdOf(kube().Kube({"backup", "--json"}));
  ASSERT_FALSE(id.empty());
  json report = Verify(id);
  EXPECT_EQ(report["verdict"], "ok") << report.dump();
  EXPECT_EQ(VerifiedRows(report), "orders=5000/ok items=300/ok") << report.dump();
}

// mariadb-backup runs in the pod (through exec) and streams its mbstream back; the credentials
// cross on the exec's stdin, never in its command. The restore is done on the instances' machine
// (through the API it refuses to discard the newer damage without --confirm-rewind).
TEST_F(MariaDbScenarioTest, ANativeBackupThroughTheApiRestoresLocallyWithEqualChecksums) {
  ASSERT_TRUE(ReplicaCaughtUp(1));
  auto before = kube().ShopChecksums(0);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  auto backup = kube().Kube({"backup", "--method", "native", "--json"});
  std::string id = SnapshotIdOf(backup);
  ASSERT_FALSE(id.empty()) << backup.out << backup.err;
  bool ran_in_pod = false;
  for (const auto& command : ExecCommandsOf(kube().operator_api().OperatorRequests())) {
    for (const auto& arg : command) {
      ran_in_pod |= arg == "--stream=mbstream";
      EXPECT_EQ(arg.find(kube().sandbox().password()), std::string::npos) << arg;
    }
  }
  EXPECT_TRUE(ran_in_pod) << "mariadb-backup did not run through exec";
  Sql(0, "DELETE FROM shop.orders WHERE id % 3 = 0; DROP TABLE shop.items;");
  ASSERT_TRUE(ReplicaCaughtUp(1));
  std::string damaged = Checksums(0);
  ASSERT_NE(damaged, *before);
  // Through the API the restore stops every instance itself, but only after the discard gate
  // read them running (kubernetes_native_restore_test restores that way): the damage is newer
  // than the backup, so without --confirm-rewind it is refused (30) and nothing is stopped.
  auto through_api = kube().Kube({"restore", "--snapshot", id, "--yes"});
  EXPECT_EQ(through_api.exit_code, 30) << through_api.out << through_api.err;
  EXPECT_NE(through_api.err.find("newer than"), std::string::npos) << through_api.err;
  EXPECT_EQ(Checksums(0), damaged) << "the instance's data was left as it was";
  ASSERT_EQ(kube().Local({"instance", "stop", "-i", "0"}).exit_code, 0);
  // The damage is newer than the backup: replacing it is consented (and the damaged data kept).
  auto restored = kube().Local({"restore", "--snapshot", id, "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(Checksums(0), *before);
  EXPECT_TRUE(ReplicaCaughtUp(1)) << "the replica was rebuilt from the restored primary";
  EXPECT_EQ(Triage(), std::make_pair(0, std::string("healthy")));
}

// A mariadb-backup killed in the pod after 1 MiB of its stream: the backup fails naming the
// signal (exit 23), no snapshot is saved and the repository stays consistent.
TEST_F(MariaDbScenarioTest, AMariadbBackupKilledInThePodSavesNoSnapshot) {
  auto killbin = core::TempDir::Create("hs-kscen-killbin-");
  ASSERT_TRUE(killbin.ok()) << killbin.status().ToString();
  ASSERT_EQ(::chmod(killbin->path().c_str(), 0755), 0);
  const std::string real = kube().sandbox().instance(0).bin_dir.empty()
                               ? "/usr/bin/mariadb-backup"
                               : kube().sandbox().instance(0).bin_dir + "/mariadb-backup";
  ASSERT_TRUE(core::WriteFileAtomically(
                  killbin->path() + "/mariadb-backup",
                  core::AsBytes("#!/bin/sh\n" + real + " \"$@\" | head -c 1048576\nkill -9 $$\n"))
                  .ok());
  ASSERT_EQ(::chmod((killbin->path() + "/mariadb-backup").c_str(), 0755), 0);
  // Every pod's PATH starts with the killing wrapper (the backup's source is chosen at run time).
  const auto& instances = kube().sandbox().cluster().instances;
  for (const auto& instance : instances) {
    auto pod_executor = SandboxPodExecutor(instance, kMariaDbPodDataDir);
    ASSERT_TRUE(pod_executor.ok());
    kube().node().agent().SetPodExecutor(
        kPlatformNamespace, "maria-" + std::to_string(instance.ordinal),
        [inner = *pod_executor, bin = killbin->path()](const std::vector<std::string>& command,
                                                       const std::string& container) {
          FakePodProcess process = inner(command, container);
          process.env["PATH"] = bin + ":" + process.env["PATH"];
          return process;
        });
  }
  auto listed = [] {
    auto out = json::parse(kube().env().Run({"get", "backups", "--json"}).out, nullptr, false);
    return out.is_array() ? out.size() : size_t{0};
  };
  size_t before = listed();
  auto killed = kube().Kube({"backup", "--method", "native"});
  for (const auto& instance : instances) {
    auto pod_executor = SandboxPodExecutor(instance, kMariaDbPodDataDir);
    ASSERT_TRUE(pod_executor.ok());
    kube().node().agent().SetPodExecutor(
        kPlatformNamespace, "maria-" + std::to_string(instance.ordinal), *pod_executor);
  }
  EXPECT_EQ(killed.exit_code, 23) << killed.out << killed.err;
  EXPECT_NE(killed.err.find("mariadb-backup was killed by signal 9"), std::string::npos)
      << killed.err;
  EXPECT_EQ(listed(), before) << "a killed mariadb-backup must not become a snapshot";
  auto check = kube().env().Restic({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(MariaDbScenarioTest, AReplicaWithABrokenSqlThreadIsHealedAfterAnEscrowBackup) {
  ASSERT_TRUE(ReplicaCaughtUp(1));
  // A conflicting row on the replica (not binlogged), then the same key on the primary: the
  // replica's SQL thread stops with a duplicate-key error.
  Sql(1, "SET SESSION sql_log_bin=0; INSERT INTO shop.items VALUES (301, 'conflict');");
  Sql(0, "INSERT INTO shop.items VALUES (301, 'primary');");
  std::string status;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        auto st = kube().sandbox().Sql(1, "SHOW ALL SLAVES STATUS\\G");
        status = st.ok() ? *st : st.status().ToString();
        // Batch output has no field names: Last_SQL_Error shows the stop.
        return status.find("Duplicate entry '301'") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << status;
  EXPECT_EQ(Triage(), std::make_pair(4, std::string("degraded")));

  auto repair = kube().Kube({"repair", "--heal-timeout", "120s", "--json"});
  ASSERT_EQ(repair.exit_code, 0) << repair.out << repair.err;
  json result = json::parse(repair.out);
  EXPECT_EQ(result["healed"], json::array({"maria-1"})) << repair.out;
  EXPECT_EQ(result["after"]["verdict"], "healthy") << repair.out;
  std::string escrow = result.value("escrow_snapshot", "");
  ASSERT_FALSE(escrow.empty()) << repair.out;
  auto listed = json::parse(kube().env().Run({"get", "backups", "--json"}).out);
  bool found = false;
  for (const auto& s : listed) {
    found |= s.value("id", "") == escrow && s.value("type", "") == "backup";
  }
  EXPECT_TRUE(found) << escrow << " in " << listed.dump();
  EXPECT_EQ(Sql(1, "SELECT name FROM shop.items WHERE id = 301"), "primary");
  Sql(0, "INSERT INTO shop.items VALUES (302, 'after-heal');");
  EXPECT_TRUE(ReplicaCaughtUp(1)) << "the healed replica replicates again";
}

TEST_F(MariaDbScenarioTest, AnErrantTransactionTriagesAsSplitBrainAndItsRepairIsRefused) {
  Sql(1,
      "SET GLOBAL read_only=OFF; INSERT INTO shop.items VALUES (999999, 'errant'); "
      "SET GLOBAL read_only=ON;");
  auto triage = kube().Kube({"triage"});
  EXPECT_EQ(triage.exit_code, 5) << triage.out;
  EXPECT_NE(triage.out.find("errant transactions"), std::string::npos) << triage.out;
  auto refused = kube().Kube({"repair"});
  EXPECT_EQ(refused.exit_code, 5) << refused.out << refused.err;
  EXPECT_EQ(Sql(1, "SELECT name FROM shop.items WHERE id = 999999"), "errant");
}

TEST_F(GaleraScenarioTest, AHealthyClusterTriagesAsHealthy) {
  EXPECT_EQ(Triage(), std::make_pair(0, std::string("healthy")));
}

// Node 1 is read by mariadb-backup in its pod and desynced meanwhile (as on the local platform),
// so node 0 keeps committing; afterwards node 1 is synced again.
TEST_F(GaleraScenarioTest, ANativeBackupThroughTheApiLetsAnotherNodeCommitMeanwhile) {
  Sql(0, "CREATE TABLE shop.during (id INT AUTO_INCREMENT PRIMARY KEY, node INT)");
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::atomic<bool> saw_desync{false};
  std::thread writer([&] {
    while (!stop) {
      committed += kube().sandbox().Sql(0, "INSERT INTO shop.during (node) VALUES (0)").ok();
      auto desync = kube().sandbox().Sql(1, "SELECT @@global.wsrep_desync");
      saw_desync = saw_desync || (desync.ok() && Trim(*desync) == "1");
    }
  });
  auto backup = kube().Kube({"backup", "--method", "native", "--json"});
  stop = true;
  writer.join();
  std::string id = SnapshotIdOf(backup);
  ASSERT_FALSE(id.empty()) << backup.out << backup.err;
  EXPECT_TRUE(saw_desync.load()) << "the source node was never desynced during the backup";
  EXPECT_GT(committed.load(), 0);
  EXPECT_EQ(Sql(1, "SELECT @@global.wsrep_desync"), "0") << "the source node stays desynced";
  auto snapshots = json::parse(kube().env().Restic({"snapshots", "--json"}).out, nullptr, false);
  ASSERT_TRUE(snapshots.is_array() && !snapshots.empty()) << snapshots.dump();
  std::string tags = snapshots.back()["tags"].dump();
  EXPECT_NE(tags.find("method=native"), std::string::npos) << tags;
  EXPECT_NE(tags.find("source_instance=galera-1"), std::string::npos) << tags;
  EXPECT_NE(tags.find("wsrep_uuid="), std::string::npos) << tags;
  // Its restore through the API is refused before anything is stopped or written: the restored
  // node would have to start with --wsrep-new-cluster, which the operator's pods do not offer.
  auto restore = kube().Kube({"restore", "--snapshot", id, "--yes"});
  EXPECT_EQ(restore.exit_code, 2) << restore.out << restore.err;
  EXPECT_NE(restore.err.find("bootstraps a new cluster"), std::string::npos) << restore.err;
  EXPECT_EQ(Triage(), std::make_pair(0, std::string("healthy")));
}

TEST_F(GaleraScenarioTest, ABackupTakenThroughTheApiVerifies) {
  std::string id = SnapshotIdOf(kube().Kube({"backup", "--json"}));
  ASSERT_FALSE(id.empty());
  json report = Verify(id);
  EXPECT_EQ(report["verdict"], "ok") << report.dump();
  EXPECT_EQ(VerifiedRows(report), "orders=5000/ok items=300/ok") << report.dump();
}

// Galera's split-brain: node 1 was bootstrapped on its own, as a separate cluster with a history
// of its own (another cluster state UUID), and both halves took writes. Set up on the instances'
// machine: node 1 restarted with `wsrep_cluster_address = gcomm://` (bootstrap alone) from a
// saved state in a new UUID, and with another cluster name, which keeps the halves from merging
// again on loopback as a network partition would. The settings are taken back from its
// configuration file once it runs, so a later start rejoins the cluster.
TEST_F(GaleraScenarioTest, TwoHistoriesTriageAsSplitBrainNamingEachNode) {
  ASSERT_TRUE(ReplicaCaughtUp(1));
  ASSERT_EQ(kube().Local({"instance", "stop", "-i", "1"}).exit_code, 0);
  const std::string config = kube().sandbox().instance(1).config_file;
  auto original = core::ReadFileToString(config);
  ASSERT_TRUE(original.ok()) << original.status().ToString();
  // Rewritten in place (std::ofstream), so the files keep the owner and mode the server reads
  // them by. The saved state names the new history, which this node may bootstrap on its own.
  std::ofstream(config) << *original
                        << "\n[mysqld]\nwsrep_cluster_address = gcomm://\n"
                           "wsrep_cluster_name = split-off\n";
  std::ofstream(kube().sandbox().instance(1).data_dir + "/grastate.dat")
      << "# GALERA saved state\nversion: 2.1\nuuid:    99999999-aaaa-bbbb-cccc-dddddddddddd\n"
         "seqno:   7\nsafe_to_bootstrap: 1\n";
  auto started = kube().Local({"instance", "start", "-i", "1"});
  std::ofstream(config) << *original;
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err << ErrorLogTail(1);
  Sql(0, "INSERT INTO shop.items VALUES (900001, 'history-0')");
  Sql(1, "INSERT INTO shop.items VALUES (900002, 'history-1')");

  auto triage = kube().Kube({"triage", "--json"});
  EXPECT_EQ(triage.exit_code, 5) << triage.out << triage.err;
  json report = json::parse(triage.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << triage.out << triage.err;
  EXPECT_EQ(report["verdict"], "split-brain") << triage.out;
  std::string diverged;
  for (const auto& finding : report["findings"]) {
    std::string message = finding.value("message", "");
    if (message.find("different cluster state UUIDs") != std::string::npos) {
      diverged = message;
    }
  }
  EXPECT_NE(diverged.find("'galera-0'"), std::string::npos) << triage.out;
  EXPECT_NE(diverged.find("'galera-1'"), std::string::npos) << triage.out;
  EXPECT_NE(Sql(0, "SELECT @@global.wsrep_cluster_name"),
            Sql(1, "SELECT @@global.wsrep_cluster_name"));
}

// The MariaDB resource and its StatefulSet as the API holds them now (null when unread).
json GaleraObject(const KubePublishedCluster& kube, const platform::kubernetes::KubeResource& res) {
  auto object = kube.admin().Get(res, kPlatformNamespace, "galera");
  return object.ok() ? *object : json();
}
// Whether the heal's helper pod is still there. The real server deletes a pod bound to a node
// gracefully: it is gone once the node's kubelet confirmed its containers stopped.
bool HealHelperExists(const KubePublishedCluster& kube) {
  bool exists = true;
  core::PollUntil(
      [&] {
        auto pod =
            kube.admin().Get(resources::kPods, kPlatformNamespace, "galera-1-hasteward-heal");
        exists = pod.ok() || pod.status().code() != core::ErrorCode::kNotFound;
        return !exists;
      },
      std::chrono::seconds(30));
  return exists;
}

// The node's volume (the sandbox's data directory of galera-1), where the heal kept its Galera
// state as plain files named hasteward-kept-<stamp>-<file>: they outlived the helper pod and the
// rejoin's state transfer, the log names each of them, and MariaDB lists no
// database for them (a kept directory would show as `#mysql50#<name>`).
void ExpectKeptStateInTheVolume(KubePublishedCluster& kube, const std::string& log) {
  std::set<std::string> kept;
  for (const auto& entry :
       std::filesystem::directory_iterator(kube.sandbox().instance(1).data_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("hasteward-kept-", 0) == 0 && entry.is_regular_file()) {
      kept.insert(name.substr(name.rfind('-') + 1));
      EXPECT_NE(log.find("/" + name + "'"), std::string::npos) << log;
    }
  }
  EXPECT_EQ(kept, (std::set<std::string>{"galera.cache", "grastate.dat"}));
  auto databases = kube.sandbox().Sql(1, "SHOW DATABASES");
  ASSERT_TRUE(databases.ok()) << databases.status().ToString();
  EXPECT_EQ(databases->find("hasteward"), std::string::npos) << *databases;
}

// The repair table's split-brain rows through the API: untargeted is a HARD STOP, targeted needs
// --force, and with --force the donor's escrow backup and every diverged side's capture are
// taken before anything is healed. Then the node is healed through the API as the origin
// README's Galera repair does it: the MariaDB suspended, its StatefulSet scaled down past the
// node (mariadbd is the pod's main process: gone is the only down), grastate.dat kept and
// removed through a helper pod mounting the node's volume, scaled back up and resumed; the node
// rejoins the surviving history by state transfer and loses only what was captured.
TEST_F(GaleraScenarioTest, ASplitBrainRepairCapturesBothSidesThenHealsTheNodeThroughTheApi) {
  auto untargeted = kube().Kube({"repair"});
  EXPECT_EQ(untargeted.exit_code, 5) << untargeted.out << untargeted.err;
  EXPECT_NE(untargeted.err.find("HARD STOP"), std::string::npos) << untargeted.err;
  auto unforced = kube().Kube({"repair", "-i", "1"});
  EXPECT_EQ(unforced.exit_code, 5) << unforced.out << unforced.err;
  EXPECT_NE(unforced.err.find("--force"), std::string::npos) << unforced.err;

  auto captured = [] {
    std::map<std::string, int> by_type;
    auto listed = json::parse(kube().env().Run({"get", "backups", "-t", "all", "--json"}).out,
                              nullptr, false);
    for (const auto& s : listed.is_array() ? listed : json::array()) {
      by_type[s.value("type", "")] += 1;
    }
    return by_type;
  };
  const int escrows_before = captured()["backup"];
  auto healed = kube().Kube({"repair", "-i", "1", "--force", "--heal-timeout", "180s"});
  ASSERT_EQ(healed.exit_code, 0) << healed.out << healed.err
                                 << kube().mariadb_operator()->last_error() << ErrorLogTail(1);
  std::map<std::string, int> after = captured();
  EXPECT_EQ(after["backup"], escrows_before + 1) << "the donor's escrow backup";
  EXPECT_EQ(after["diverged"], 2) << "each side is captured before anything is healed";
  const std::string log = healed.out + healed.err;
  EXPECT_NE(log.find("kept a copy of grastate.dat"), std::string::npos) << log;
  EXPECT_NE(log.find("'galera-1' joined and is Synced"), std::string::npos) << log;

  EXPECT_EQ(Sql(1, "SELECT name FROM shop.items WHERE id = 900001"), "history-0");
  EXPECT_EQ(Sql(1, "SELECT count(*) FROM shop.items WHERE id = 900002"), "0");
  EXPECT_TRUE(ReplicaCaughtUp(1)) << "node 1 rejoined the surviving history";
  EXPECT_EQ(Sql(0,
                "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                "WHERE VARIABLE_NAME = 'wsrep_cluster_size'"),
            "2");
  // Everything HASteward changed is back: the resource resumed, the StatefulSet at its size,
  // no helper pod; the kept state files lie in the node's volume.
  json mariadb = GaleraObject(kube(), resources::kMariaDbs);
  EXPECT_FALSE(mariadb.value("/spec/suspend"_json_pointer, false)) << mariadb.dump();
  EXPECT_FALSE(mariadb.contains("/metadata/annotations"_json_pointer /
                                std::string("clinic.hasteward.prplanit.com/suspended-for")))
      << mariadb.dump();
  EXPECT_EQ(GaleraObject(kube(), resources::kStatefulSets).value("/spec/replicas"_json_pointer, 0),
            2);
  EXPECT_FALSE(HealHelperExists(kube()));
  const auto grants = kube().operator_api().OperatorGrantsUsed();
  EXPECT_EQ(grants.count("create core pods") + grants.count("delete core pods"), 2U)
      << "the Galera state was reset through the helper pod, which was deleted afterwards";
  EXPECT_EQ(kube().mariadb_operator()->last_error(), "");
  EXPECT_EQ(Triage(), std::make_pair(0, std::string("healthy")));
  ExpectKeptStateInTheVolume(kube(), log);
}

// A heal whose node does not come back within --heal-timeout (its server held, as a pod stuck
// starting): the run fails naming the wait (the start itself, bounded by --heal-timeout too,
// succeeded), and the MariaDB is resumed and its StatefulSet back
// at its size, so mariadb-operator owns the node again; once the server starts, the node rejoins.
TEST_F(GaleraScenarioTest, AHealThatTimesOutLeavesTheMariaDbResumed) {
  kube().mariadb_operator()->HoldServerStartsForTest(true);
  // 8 s: long enough for the start (helper deleted, pod re-created) on a loaded CI machine, which
  // must succeed here; only the Synced wait may run out.
  auto failed = kube().Kube({"repair", "-i", "1", "--force", "--heal-timeout", "8s"});
  EXPECT_EQ(failed.exit_code, 27) << failed.out << failed.err;
  EXPECT_NE(failed.err.find("'galera-1' to be Synced"), std::string::npos) << failed.err;
  EXPECT_EQ(failed.err.find("left stopped"), std::string::npos)
      << "the start succeeded: the error does not send the user to undo a stop" << failed.err;
  json mariadb = GaleraObject(kube(), resources::kMariaDbs);
  EXPECT_FALSE(mariadb.value("/spec/suspend"_json_pointer, false)) << mariadb.dump();
  EXPECT_EQ(GaleraObject(kube(), resources::kStatefulSets).value("/spec/replicas"_json_pointer, 0),
            2);
  EXPECT_FALSE(HealHelperExists(kube()));

  kube().mariadb_operator()->HoldServerStartsForTest(false);
  EXPECT_TRUE(ReplicaCaughtUp(1)) << kube().mariadb_operator()->last_error() << ErrorLogTail(1);
  EXPECT_EQ(Triage(), std::make_pair(0, std::string("healthy")));
}

}  // namespace
}  // namespace hasteward::testing
