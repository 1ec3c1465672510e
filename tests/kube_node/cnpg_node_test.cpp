// The real CloudNativePG on the real node (issue 51's end-to-end tier, tools/test-kubernetes.sh):
// the operator from its release manifest, built from its Go module, a Cluster of 3 instances made
// from the operator's own example (cluster-example) with the PostgreSQL 15 image built from
// Debian's packages, and HASteward's CLI with deploy/'s RBAC from inside the node's network (it
// reaches the databases through the API server's port-forward and exec, the kubelet and runc).
// Each test continues the cluster the one before left.
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/subprocess.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/kube_node.h"
#include "support/kube_node_suite.h"
#include "support/kube_node_writer.h"
#include "support/real_kube_api.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;

constexpr char kNamespace[] = "db";
constexpr char kCluster[] = "cluster-example";
constexpr int kInstances = 3;
constexpr char kImage[] = "localhost/cnpg-postgresql:15-deb12";
// md5 over the ordered rows of the shop database's two tables.
constexpr char kShopChecksumsSql[] =
    "SELECT (SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o)"
    " || ' ' || (SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM items i)";
constexpr char kDrNamespace[] = "dr";
constexpr char kDrCluster[] = "cluster-dr";
constexpr char kHastewardImage[] = "localhost/hasteward:tier";
constexpr char kPodRepository[] = "/repository/restic";  // on the operator pod's claim
constexpr char kPolicyAnnotation[] = "clinic.hasteward.prplanit.com/policy";

class CnpgNodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto suite = KubeNodeSuite::Begin("cnpg", kNamespace);
    ASSERT_TRUE(suite.ok()) << suite.status().ToString();
    suite_ = std::move(suite).value().release();
    node_ = &suite_->node();
    ASSERT_TRUE(node_->Apply(ExampleCluster().dump()).ok());
    auto ready = node_->WaitFor(
        "3 ready instances of the CNPG example cluster", std::chrono::seconds(900),
        [] {
          auto cluster = node_->Get("clusters.postgresql.cnpg.io", kNamespace, kCluster);
          return cluster.ok() &&
                 cluster->value("/status/readyInstances"_json_pointer, 0) == kInstances;
        },
        [] {
          return node_->Kubectl({"get", "pods,pvc,clusters.postgresql.cnpg.io", "-n", kNamespace})
                     .out +
                 node_->Kubectl({"get", "events", "-n", kNamespace}).out;
        });
    ASSERT_TRUE(ready.ok()) << ready.ToString();
    core::Status started = suite_->StartHasteward("hs-cnpg-node-", "cnpg-node-test");
    ASSERT_TRUE(started.ok()) << started.ToString();
    env_ = &suite_->env();
  }

  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
    node_ = nullptr;
    env_ = nullptr;
  }

  // CloudNativePG's own example (docs/src/samples/cluster-example.yaml of the pinned module), its
  // image the local one: the operator reads the major version from the tag.
  static json ExampleCluster() {
    auto manifests = RealKubeManifestsDir();
    EXPECT_TRUE(manifests.ok()) << manifests.status().ToString();
    CmdResult rendered = node_->Kubectl({"create", "--dry-run=client", "-o", "json", "-f",
                                         *manifests + "/examples/cnpg-cluster-example.yaml"});
    EXPECT_EQ(rendered.exit_code, 0) << rendered.err;
    json cluster = json::parse(rendered.out);
    cluster["metadata"]["namespace"] = kNamespace;
    cluster["spec"]["instances"] = kInstances;
    cluster["spec"]["imageName"] = kImage;
    return cluster;
  }

  static CmdResult Kube(std::vector<std::string> args) {
    args.insert(args.begin(), {"--platform", "kubernetes"});
    args.insert(args.end(), {"-e", "cnpg", "-c", kCluster, "-n", kNamespace});
    return env_->Run(args);
  }

  static std::string Primary() {
    auto cluster = node_->Get("clusters.postgresql.cnpg.io", kNamespace, kCluster);
    return cluster.ok() ? cluster->value("/status/currentPrimary"_json_pointer, std::string())
                        : std::string();
  }

  // psql as postgres in the instance pod `pod` (exec through the API server and the kubelet).
  static CmdResult Psql(const std::string& pod, const std::string& sql,
                        const std::string& database = "postgres") {
    return node_->Exec(
        kNamespace, pod, "postgres",
        {"psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql});
  }

  static std::string ShopChecksums(const std::string& pod) {
    CmdResult r = Psql(pod, kShopChecksumsSql, "shop");
    return r.exit_code == 0 ? r.out : "error: " + r.err;
  }

  // The triage report (exit code and JSON).
  static std::pair<int, json> Triage() {
    CmdResult triage = Kube({"triage", "--json"});
    const std::string last = LastLine(triage.out);
    return {triage.exit_code, json::accept(last) ? json::parse(last) : json::object()};
  }

  // HASteward's ordinal of pod `pod` (its place in the triage report).
  static int OrdinalOf(const std::string& pod) {
    const json report = Triage().second;
    for (const json& instance : report.value("instances", json::array())) {
      if (instance.value("name", "") == pod) {
        return instance.value("ordinal", -1);
      }
    }
    return -1;
  }

  // Waits until every instance holds `sums` (the replicas replay what the primary got).
  static void ExpectEveryInstanceHolds(const std::string& sums) {
    CmdResult pods = node_->Kubectl({"get", "pods", "-n", kNamespace, "-l",
                                     std::string("cnpg.io/cluster=") + kCluster + ",role", "-o",
                                     "jsonpath={.items[*].metadata.name}"});
    std::istringstream names(pods.out);
    int seen = 0;
    for (std::string pod; names >> pod; ++seen) {
      auto same =
          node_->WaitFor("instance " + pod + " to hold the expected rows",
                         std::chrono::seconds(180), [&] { return ShopChecksums(pod) == sums; });
      EXPECT_TRUE(same.ok()) << same.ToString() << ShopChecksums(pod);
    }
    EXPECT_EQ(seen, kInstances) << pods.out;
  }

  // What the operator in its pod needs beside deploy/: its repository's password (in the database
  // namespace, where deploy/'s secret reader is bound), the claim its repository lives on, the
  // BackupRepository and a minutely BackupPolicy.
  static std::string ServeResources(const std::string& password) {
    return std::string(
               "apiVersion: v1\nkind: Secret\nmetadata: {name: tier-repository, "
               "namespace: ") +
           kNamespace + "}\nstringData: {password: \"" + password +
           "\"}\n---\n"
           "apiVersion: v1\nkind: PersistentVolumeClaim\n"
           "metadata: {name: hasteward-repository, namespace: hasteward}\n"
           "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n---\n"
           "apiVersion: clinic.hasteward.prplanit.com/v1alpha1\nkind: BackupRepository\n"
           "metadata: {name: tier}\nspec: {restic: {repository: " +
           kPodRepository +
           ", passwordSecretRef: {name: tier-repository, namespace: " + kNamespace +
           "}}}\n---\n"
           "apiVersion: clinic.hasteward.prplanit.com/v1alpha1\nkind: BackupPolicy\n"
           "metadata: {name: tier-minutely}\n"
           "spec: {backupSchedule: \"* * * * *\", repositories: [tier]}\n";
  }

  // deploy/'s Deployment as a user on a machine without a registry changes it: the image imported
  // into the node (never pulled), one replica, the repository's claim mounted.
  static json OperatorPodPatch() {
    return {{"spec",
             {{"replicas", 1},
              {"template",
               {{"spec",
                 {{"containers",
                   {{{"name", "hasteward"},
                     {"image", kHastewardImage},
                     {"imagePullPolicy", "Never"},
                     {"volumeMounts", {{{"name", "repository"}, {"mountPath", "/repository"}}}}}}},
                  {"volumes",
                   {{{"name", "repository"},
                     {"persistentVolumeClaim", {{"claimName", "hasteward-repository"}}}}}}}}}}}}};
  }

  // Events on the Cluster with reason BackupSucceeded (what `kubectl describe` lists).
  static size_t BackupEvents() {
    CmdResult listed = node_->Kubectl({"get", "events", "-n", kNamespace, "-o", "json"});
    if (listed.exit_code != 0 || !json::accept(listed.out)) {
      return 0;
    }
    size_t n = 0;
    for (const json& event : json::parse(listed.out).value("items", json::array())) {
      const json& involved = event.value("involvedObject", json::object());
      if (involved.value("kind", "") == "Cluster" && involved.value("name", "") == kCluster &&
          event.value("reason", "") == "BackupSucceeded") {
        ++n;
      }
    }
    return n;
  }

  // The primary's WAL insert position ("X/Y"): pg_current_wal_lsn() may still lie before the
  // commit record just written.
  static std::string InsertLsn(const std::string& primary) {
    std::string lsn = Psql(primary, "SELECT pg_current_wal_insert_lsn()").out;
    lsn.erase(lsn.find_last_not_of(" \n") + 1);
    return lsn;
  }

  // `pitr status --json` of the cluster's archive ({} when it failed).
  static json PitrStatus() {
    CmdResult status = Kube({"pitr", "status", "--json"});
    const std::string last = LastLine(status.out);
    return status.exit_code == 0 && json::accept(last) ? json::parse(last) : json::object();
  }

  // A native base backup of the cluster, then its receiver streaming from `primary`
  // (StartReceiver): where a point-in-time or DR replay begins.
  static core::Result<std::unique_ptr<core::Subprocess>> NativeBaseThenReceiver(
      const std::string& primary) {
    CmdResult base = Kube({"backup", "--method", "native", "--json"});
    if (SnapshotIdOf(base).empty()) {
      return core::Internal("the native base backup failed: " + base.out + base.err);
    }
    return StartReceiver(primary);
  }

  // HASteward's streaming receiver (`wal-receive`, through the API server's port-forward) of the
  // cluster, once it streams from `primary`; its output in receiver.out/.err.
  static core::Result<std::unique_ptr<core::Subprocess>> StartReceiver(const std::string& primary) {
    core::SubprocessOptions options;
    // nsenter execs the binary: StopReceiver's SIGTERM reaches the receiver itself.
    options.argv = env_->Argv({"--platform", "kubernetes", "wal-receive", "--json", "-e", "cnpg",
                               "-c", kCluster, "-n", kNamespace});
    options.env_set = env_->vars();
    options.stdout_mode = core::StdioMode::kFile;
    options.stdout_file = env_->Path("receiver.out");
    options.stderr_mode = core::StdioMode::kFile;
    options.stderr_file = env_->Path("receiver.err");
    HS_ASSIGN_OR_RETURN(auto receiver, core::Subprocess::Start(options));
    core::Status streaming = node_->WaitFor(
        "the receiver to stream from " + primary, std::chrono::seconds(120),
        [&] {
          return Psql(primary,
                      "SELECT count(*) FROM pg_stat_replication WHERE application_name = "
                      "'hasteward_receiver'")
                     .out.rfind('1', 0) == 0;
        },
        ReceiverLog);
    if (!streaming.ok()) {
      StopReceiver(*receiver);
      return streaming;
    }
    return receiver;
  }

  static void StopReceiver(core::Subprocess& receiver) {
    ::kill(receiver.pid(), SIGTERM);
    (void)receiver.Wait();
  }

  static std::string ReceiverLog() {
    std::string log;
    for (const char* name : {"receiver.out", "receiver.err"}) {
      auto text = core::ReadFileToString(env_->Path(name));
      log += text.ok() ? *text : std::string();
    }
    return log;
  }

  static KubeNodeSuite* suite_;
  static KubeNode* node_;     // suite_'s
  static HastewardEnv* env_;  // suite_'s
};

KubeNodeSuite* CnpgNodeTest::suite_ = nullptr;
KubeNode* CnpgNodeTest::node_ = nullptr;
HastewardEnv* CnpgNodeTest::env_ = nullptr;

// CloudNativePG's example grants no superuser access (spec.enableSuperuserAccess defaults to false
// since 1.21), so the operator makes no <cluster>-superuser Secret: the emulated operator always
// had one. HASteward says how to grant it; once granted, the operator makes the Secret.
TEST_F(CnpgNodeTest, WithoutSuperuserAccessTheCliSaysHowToGrantIt) {
  ASSERT_FALSE(node_->Get("secret", kNamespace, std::string(kCluster) + "-superuser").ok())
      << "the example was expected to grant no superuser access";
  CmdResult triage = Kube({"triage", "--json"});
  EXPECT_NE(triage.exit_code, 0) << triage.out;
  EXPECT_NE(triage.out.find("enableSuperuserAccess"), std::string::npos) << triage.out;

  CmdResult granted =
      node_->Kubectl({"patch", "clusters.postgresql.cnpg.io", kCluster, "-n", kNamespace,
                      "--type=merge", "-p", R"({"spec":{"enableSuperuserAccess":true}})"});
  ASSERT_EQ(granted.exit_code, 0) << granted.err;
  auto secret = node_->WaitFor("the operator's superuser Secret", std::chrono::seconds(120), [] {
    return node_->Get("secret", kNamespace, std::string(kCluster) + "-superuser").ok();
  });
  ASSERT_TRUE(secret.ok()) << secret.ToString();
  // The instance manager sets the superuser's password on its next reconciliation, after the
  // Secret exists: until then the password is refused.
  auto accepted =
      node_->WaitFor("the superuser's password to be set", std::chrono::seconds(120), [] {
        return Kube({"triage", "--json"}).exit_code == 0;
      });
  ASSERT_TRUE(accepted.ok()) << accepted.ToString() << Kube({"triage"}).out;
}

TEST_F(CnpgNodeTest, TriageFindsThePrimaryAndTwoStreamingReplicas) {
  CmdResult triage = Kube({"triage", "--json"});
  ASSERT_EQ(triage.exit_code, 0) << triage.out << triage.err;
  json report = json::parse(LastLine(triage.out));
  EXPECT_EQ(report["verdict"], "healthy") << triage.out;
  ASSERT_EQ(report["instances"].size(), static_cast<size_t>(kInstances)) << triage.out;
  int primaries = 0;
  for (const json& instance : report["instances"]) {
    if (instance["role"] == "primary") {
      ++primaries;
      // pg_controldata ran in the pod: exec reached the instance's data directory.
      EXPECT_EQ(instance["facts"]["control_state"], "in production") << triage.out;
    } else {
      EXPECT_EQ(instance["facts"]["control_state"], "in archive recovery") << triage.out;
    }
  }
  EXPECT_EQ(primaries, 1) << triage.out;
}

TEST_F(CnpgNodeTest, DumpBackupAndRestoreKeepTableChecksums) {
  const std::string primary = Primary();
  ASSERT_FALSE(primary.empty());
  ASSERT_EQ(Psql(primary, "CREATE DATABASE shop").exit_code, 0);
  CmdResult loaded =
      Psql(primary,
           "CREATE TABLE orders (id int PRIMARY KEY, note text);"
           "INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 5000) g;"
           "CREATE TABLE items (id int PRIMARY KEY, name text);"
           "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 300) g;",
           "shop");
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  const std::string before = ShopChecksums(primary);
  ASSERT_EQ(before.rfind("error", 0), std::string::npos) << before;

  CmdResult backup = Kube({"backup", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;

  ASSERT_EQ(Psql(primary, "DELETE FROM orders WHERE id > 100; DROP TABLE items;", "shop").exit_code,
            0);
  ASSERT_NE(ShopChecksums(primary), before) << "the damage must show";
  CmdResult restored = Kube({"restore", "--confirm-overwrite"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(ShopChecksums(primary), before);
  // The replicas replay the restore: every instance holds the same rows.
  ExpectEveryInstanceHolds(before);
}

// A switchover through the operator (CloudNativePG's targetPrimary, asked for and proven by
// HASteward) under a writer pod that commits through the operator's -rw Service and logs each
// acknowledged id: every acknowledged id is on the new primary, and no sample of the instances
// ever found two writable.
TEST_F(CnpgNodeTest, ASwitchoverThroughTheOperatorLosesNoAcknowledgedCommit) {
  const std::string old_primary = Primary();
  ASSERT_EQ(
      Psql(old_primary, "CREATE TABLE IF NOT EXISTS acks (id int PRIMARY KEY)", "app").exit_code,
      0);
  ASSERT_EQ(Psql(old_primary, "ALTER TABLE acks OWNER TO app", "app").exit_code, 0);
  const json env = {
      {{"name", "PGPASSWORD"},
       {"valueFrom",
        {{"secretKeyRef", {{"name", std::string(kCluster) + "-app"}, {"key", "password"}}}}}}};
  auto writer = AckWriterPod::Start(
      *node_, kNamespace, "writer", kImage,
      std::string("psql -X -q -v ON_ERROR_STOP=1 \"host=") + kCluster +
          "-rw user=app dbname=app connect_timeout=3\" -c \"INSERT INTO acks VALUES ($i)\"",
      env);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  // Every instance's role, sampled while the switchover runs: never two writable at once.
  WritableSampler sampler([] {
    int writable = 0;
    for (int n = 1; n <= kInstances; ++n) {
      CmdResult r =
          Psql(std::string(kCluster) + "-" + std::to_string(n), "SELECT NOT pg_is_in_recovery()");
      writable += r.exit_code == 0 && r.out.rfind('t', 0) == 0 ? 1 : 0;
    }
    return writable;
  });
  std::string target;
  for (int n = 1; n <= kInstances && target.empty(); ++n) {
    const std::string pod = std::string(kCluster) + "-" + std::to_string(n);
    if (pod != old_primary) {
      target = pod;
    }
  }
  CmdResult switched = Kube({"switchover", "--to", target, "--timeout", "300s"});
  // The writer goes on against the new primary before it stops.
  const bool more = writer->WaitForMore(writer->Acknowledged().size(), 20);
  sampler.Stop();
  writer->Stop();
  ASSERT_EQ(switched.exit_code, 0) << switched.out << switched.err;
  EXPECT_TRUE(more) << "the writer made no progress on the new primary";
  EXPECT_EQ(Primary(), target);
  const std::vector<int> ids = writer->Acknowledged();
  CmdResult stored = Psql(target, "SELECT string_agg(id::text, ' ' ORDER BY id) FROM acks", "app");
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  std::set<int> present;
  std::istringstream values(stored.out);
  for (int id = 0; values >> id;) {
    present.insert(id);
  }
  const int lost = CountLost(ids, present);
  std::cout << "switchover under the writer: " << ids.size() << " acknowledged, " << lost
            << " lost, " << present.size() << " stored; " << sampler.samples()
            << " samples of the roles, " << sampler.two_writable() << " with two writable\n";
  EXPECT_EQ(lost, 0);
  EXPECT_GT(sampler.samples(), 0);
  EXPECT_EQ(sampler.two_writable(), 0);
}

// verify restores the snapshot into a scratch instance on the CLI's host and checks every table.
TEST_F(CnpgNodeTest, ABackupTakenThroughTheApiVerifies) {
  auto report = BackupAndVerify(Kube);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->value("verdict", ""), "ok") << report->dump();
  // shop's orders and items (and the switchover writer's acks), each checked.
  EXPECT_GE(TablesVerified(*report), 2U) << report->dump();
  EXPECT_EQ(TablesVerified(*report), report->value("tables", json::array()).size())
      << report->dump();
}

// CloudNativePG admits replication connections only of streaming_replica with its client
// certificate (its pg_hba), so a base backup as the superuser, which a native backup and a
// replica's re-clone run, is refused until the Cluster's own pg_hba admits it (docs/kubernetes.md;
// the emulated operator's instances admitted it). The instance manager reloads each instance.
TEST_F(CnpgNodeTest, ANativeBackupNeedsTheClustersPgHbaToAdmitTheSuperusersReplication) {
  CmdResult refused = Kube({"backup", "--method", "native", "--json"});
  EXPECT_EQ(refused.exit_code, 21) << refused.out << refused.err;
  EXPECT_NE((refused.out + refused.err).find("no pg_hba.conf entry for replication connection"),
            std::string::npos)
      << refused.out << refused.err;
  CmdResult hba = node_->Kubectl(
      {"patch", "clusters.postgresql.cnpg.io", kCluster, "-n", kNamespace, "--type=merge", "-p",
       R"({"spec":{"postgresql":{"pg_hba":["host replication postgres all scram-sha-256"]}}})"});
  ASSERT_EQ(hba.exit_code, 0) << hba.err;
  for (int n = 1; n <= kInstances; ++n) {
    const std::string pod = std::string(kCluster) + "-" + std::to_string(n);
    auto reloaded =
        node_->WaitFor("the replication rule in " + pod, std::chrono::seconds(120), [&] {
          return Psql(pod,
                      "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)"
                      " AND 'postgres' = ANY(user_name)")
                     .out.rfind('1', 0) == 0;
        });
    ASSERT_TRUE(reloaded.ok()) << reloaded.ToString();
  }
}

// A native backup (pg_basebackup through the API) restored into the fenced primary: the real
// instance manager stops PostgreSQL when fenced and keeps the pod, the tree streams in through
// exec, the operator's replicas follow the restored primary.
TEST_F(CnpgNodeTest, ANativeBackupRestoresIntoTheFencedPrimaryWithEqualChecksums) {
  const std::string primary = Primary();
  const std::string before = ShopChecksums(primary);
  CmdResult backup = Kube({"backup", "--method", "native", "--json"});
  const std::string id = SnapshotIdOf(backup);
  ASSERT_FALSE(id.empty()) << backup.out << backup.err;
  ASSERT_EQ(
      Psql(primary, "DELETE FROM orders WHERE id % 3 = 0; DROP TABLE items;", "shop").exit_code, 0);
  ASSERT_NE(ShopChecksums(primary), before);
  const int ordinal = OrdinalOf(primary);
  ASSERT_GE(ordinal, 0);
  CmdResult stopped = Kube({"instance", "stop", "-i", std::to_string(ordinal)});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  CmdResult restored = Kube({"restore", "--snapshot", id, "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(ShopChecksums(Primary()), before);
  ExpectEveryInstanceHolds(before);
  auto healthy =
      node_->WaitFor("a healthy triage after the native restore", std::chrono::seconds(180),
                     [] { return Triage().second.value("verdict", "") == "healthy"; });
  EXPECT_TRUE(healthy.ok()) << healthy.ToString() << Triage().second.dump();
}

// A PostgreSQL position "X/Y" as a number (0 when it is not one).
uint64_t LsnValue(const std::string& lsn) {
  const size_t slash = lsn.find('/');
  if (slash == std::string::npos) {
    return 0;
  }
  try {
    return (std::stoull(lsn.substr(0, slash), nullptr, 16) << 32) |
           std::stoull(lsn.substr(slash + 1), nullptr, 16);
  } catch (const std::exception&) {
    return 0;
  }
}

// A point-in-time restore on the real operator. CloudNativePG owns archive_command (its own
// instance manager archives; `archive enable` cannot set it, the operator keeps
// postgresql.auto.conf read-only), so the WAL reaches the repository through HASteward's streaming
// receiver: `wal-receive`, a replication client through the API server's port-forward, admitted
// by the pg_hba rule the test above added. The restore streams the base and the archived WAL into
// the fenced primary's pod through exec and replays to the position.
TEST_F(CnpgNodeTest, APointInTimeRestoreFromTheStreamedWalStopsAtThePosition) {
  const std::string primary = Primary();
  auto receiver = NativeBaseThenReceiver(primary);
  ASSERT_TRUE(receiver.ok()) << receiver.status().ToString();

  ASSERT_EQ(Psql(primary,
                 "INSERT INTO orders SELECT g, 'before-target' FROM generate_series(800001, "
                 "800200) g",
                 "shop")
                .exit_code,
            0);
  // The insert position: pg_current_wal_lsn() may still lie before the commit record.
  const std::string target = InsertLsn(primary);
  const std::string at_target = ShopChecksums(primary);
  ASSERT_EQ(Psql(primary,
                 "INSERT INTO orders SELECT g, 'after-target' FROM generate_series(800201, 800300) "
                 "g; DELETE FROM items WHERE id % 2 = 0",
                 "shop")
                .exit_code,
            0);
  ASSERT_NE(ShopChecksums(primary), at_target);
  ASSERT_EQ(Psql(primary, "SELECT pg_switch_wal()").exit_code, 0);
  // The segment holding the target archived whole by the receiver: the base's recoverable end
  // reaches past it.
  auto archived = node_->WaitFor(
      "the archive to reach " + target, std::chrono::seconds(180),
      [&] {
        for (const json& window : PitrStatus().value("bases", json::array())) {
          if (window.contains("end") && window["end"].is_string() &&
              LsnValue(window["end"].get<std::string>()) > LsnValue(target)) {
            return true;
          }
        }
        return false;
      },
      [&] {
        return Kube({"pitr", "status"}).out + ReceiverLog();
      });
  StopReceiver(**receiver);
  ASSERT_TRUE(archived.ok()) << archived.ToString();

  const int ordinal = OrdinalOf(primary);
  ASSERT_GE(ordinal, 0);
  CmdResult stopped = Kube({"instance", "stop", "-i", std::to_string(ordinal)});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  // No --password-file: the pod's replay copies the streamed WAL, it never runs wal-fetch (the
  // restore asked for one, checked against a user of this machine, until the tier found it).
  CmdResult restored = Kube({"restore", "--until-lsn", target, "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(ShopChecksums(Primary()), at_target);
  ExpectEveryInstanceHolds(at_target);
  auto healthy =
      node_->WaitFor("a healthy triage after the point-in-time restore", std::chrono::seconds(180),
                     [] { return Triage().second.value("verdict", "") == "healthy"; });
  EXPECT_TRUE(healthy.ok()) << healthy.ToString() << Triage().second.dump();
}

// HASteward's README: a replica that lost its data is healed through fencing. An admin fenced it
// (`kubectl cnpg fencing on`), the real instance manager stopped PostgreSQL, its data directory
// was lost; the repair re-clones it from the primary, lifts the fence, and it streams again.
TEST_F(CnpgNodeTest, AFencedReplicaThatLostItsDataIsHealedThroughTheOperator) {
  const std::string primary = Primary();
  std::string replica;
  for (int n = 1; n <= kInstances + 3 && replica.empty(); ++n) {
    const std::string pod = std::string(kCluster) + "-" + std::to_string(n);
    if (pod != primary && node_->Get("pod", kNamespace, pod).ok()) {
      replica = pod;
    }
  }
  ASSERT_FALSE(replica.empty());
  CmdResult fenced =
      node_->Kubectl({"annotate", "clusters.postgresql.cnpg.io", kCluster, "-n", kNamespace,
                      "--overwrite", "cnpg.io/fencedInstances=[\"" + replica + "\"]"});
  ASSERT_EQ(fenced.exit_code, 0) << fenced.err;
  auto unready =
      node_->WaitFor("the fenced instance's pod to turn unready", std::chrono::seconds(120), [&] {
        auto pod = node_->Get("pod", kNamespace, replica);
        return pod.ok() && !pod->value("/status/containerStatuses/0/ready"_json_pointer, true);
      });
  ASSERT_TRUE(unready.ok()) << unready.ToString();
  CmdResult lost = node_->Exec(kNamespace, replica, "postgres",
                               {"sh", "-c", "rm -rf /var/lib/postgresql/data/pgdata/*"});
  ASSERT_EQ(lost.exit_code, 0) << lost.err;
  ASSERT_EQ(
      Psql(primary,
           "INSERT INTO orders SELECT g, 'while-fenced' FROM generate_series(900001, 900100) g",
           "shop")
          .exit_code,
      0);
  const std::string expected = ShopChecksums(primary);
  EXPECT_EQ(Triage().first, 4) << Triage().second.dump();

  CmdResult repair = Kube({"repair", "--heal-timeout", "300s", "--json"});
  ASSERT_EQ(repair.exit_code, 0) << repair.out << repair.err;
  const json result = json::parse(LastLine(repair.out));
  EXPECT_EQ(result["healed"], json::array({replica})) << repair.out;
  EXPECT_EQ(result["after"]["verdict"], "healthy") << repair.out;
  EXPECT_FALSE(result.value("escrow_snapshot", "").empty()) << repair.out;
  auto cr = node_->Get("clusters.postgresql.cnpg.io", kNamespace, kCluster);
  ASSERT_TRUE(cr.ok());
  EXPECT_FALSE(cr->value("/metadata/annotations"_json_pointer, json::object())
                   .contains("cnpg.io/fencedInstances"))
      << "the repair lifts the fence";
  ExpectEveryInstanceHolds(expected);
}

// A DR standby activated into a second namespace (issue 51, items 3 and 4): a CloudNativePG
// cluster of one instance in `dr` (the source's superuser Secret copied there, as the DR site
// provisions the source's credentials ahead: a physical restore brings the source's roles), fenced
// by its user; `standby activate` restores the source's newest native base into its pod through
// exec and replays the source's archive to its end, the receiver's streamed tail (the segment the
// source was writing, never archived whole) included: the DR cluster holds every row the source
// committed before the receiver stopped, and is the writable primary, healthy.
TEST_F(CnpgNodeTest, ADrStandbyActivatesIntoASecondNamespaceWithTheStreamedTail) {
  ASSERT_TRUE(node_->FreshNamespace(kDrNamespace).ok());
  auto bound = node_->HastewardKubeconfig(kDrNamespace);  // deploy/'s secret reader in `dr`
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  auto superuser = node_->Get("secret", kNamespace, std::string(kCluster) + "-superuser");
  ASSERT_TRUE(superuser.ok()) << superuser.status().ToString();
  json copied = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"type", superuser->value("type", "Opaque")},
                 {"metadata", {{"name", "source-superuser"}, {"namespace", kDrNamespace}}},
                 {"data", superuser->value("data", json::object())}};
  ASSERT_TRUE(node_->Apply(copied.dump()).ok());
  json dr = ExampleCluster();
  dr["metadata"] = {{"name", kDrCluster}, {"namespace", kDrNamespace}};
  dr["spec"]["instances"] = 1;
  dr["spec"]["enableSuperuserAccess"] = true;
  dr["spec"]["superuserSecret"] = {{"name", "source-superuser"}};
  ASSERT_TRUE(node_->Apply(dr.dump()).ok());
  auto dr_ready = node_->WaitFor(
      "the DR cluster's instance", std::chrono::seconds(600),
      [] {
        auto cluster = node_->Get("clusters.postgresql.cnpg.io", kDrNamespace, kDrCluster);
        return cluster.ok() && cluster->value("/status/readyInstances"_json_pointer, 0) == 1;
      },
      [] {
        return node_->Kubectl({"get", "pods,pvc,events", "-n", kDrNamespace}).out;
      });
  ASSERT_TRUE(dr_ready.ok()) << dr_ready.ToString();

  // The source: a new native base, then rows archived whole and rows only the stream holds.
  const std::string primary = Primary();
  auto receiver = NativeBaseThenReceiver(primary);
  ASSERT_TRUE(receiver.ok()) << receiver.status().ToString();
  ASSERT_EQ(Psql(primary,
                 "INSERT INTO orders SELECT g, 'archived whole' FROM generate_series(700001, "
                 "700300) g; SELECT pg_switch_wal()",
                 "shop")
                .exit_code,
            0);
  ASSERT_EQ(Psql(primary,
                 "INSERT INTO orders SELECT g, 'streamed tail' FROM generate_series(700301, "
                 "700350) g; UPDATE items SET name = 'tail ' || id WHERE id <= 10",
                 "shop")
                .exit_code,
            0);
  const std::string written = InsertLsn(primary);
  const std::string at_end = ShopChecksums(primary);
  auto streamed = node_->WaitFor(
      "the streamed tail to reach " + written, std::chrono::seconds(180),
      [&] {
        for (const json& tail : PitrStatus().value("streamed", json::array())) {
          if (LsnValue(tail.value("end", "")) >= LsnValue(written)) {
            return true;
          }
        }
        return false;
      },
      [] {
        return Kube({"pitr", "status"}).out + ReceiverLog();
      });
  StopReceiver(**receiver);  // the source site is lost here
  ASSERT_TRUE(streamed.ok()) << streamed.ToString();

  auto in_dr = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"--platform", "kubernetes"});
    args.insert(args.end(), {"-e", "cnpg", "-c", kDrCluster, "-n", kDrNamespace});
    return env_->Run(args);
  };
  CmdResult fenced = in_dr({"instance", "stop", "-i", "0"});
  ASSERT_EQ(fenced.exit_code, 0) << fenced.out << fenced.err;
  const std::string password_file = WriteFile(env_->Path("dr-password"), env_->password() + "\n");
  const std::string config = WriteFile(
      env_->Path("standby.yaml"),
      std::string("standbys:\n- name: shop-dr\n  source:\n    repository: ") + env_->repository() +
          "\n    passwordFile: " + password_file +
          "\n    cluster: {engine: cnpg, namespace: " + kNamespace + ", name: " + kCluster +
          "}\n  template: {engine: cnpg, instances: 1, platform: kubernetes, namespace: " +
          kDrNamespace + ", name: " + kDrCluster + "}\n  activation: {acceptUnverified: true}\n");
  CmdResult activated = env_->Run({"standby", "activate", "shop-dr", "--config", config,
                                   "--confirm", "2026-11-29T00:00:00Z", "--json"});
  ASSERT_EQ(activated.exit_code, 0) << activated.out << activated.err;
  EXPECT_NE(activated.out.find("Activated"), std::string::npos) << activated.out;
  EXPECT_NE((activated.out + activated.err).find("streamed WAL segments into the target's pod"),
            std::string::npos)
      << "the tail the receiver streamed (not archived whole) reached the pod: " << activated.err;
  const std::string dr_pod = std::string(kDrCluster) + "-1";
  CmdResult dr_sums =
      node_->Exec(kDrNamespace, dr_pod, "postgres",
                  {"psql", "-X", "-A", "-t", "-d", "shop", "-c", kShopChecksumsSql});
  EXPECT_EQ(dr_sums.out, at_end) << dr_sums.err << activated.out << activated.err;
  auto healthy = node_->WaitFor(
      "a healthy triage of the activated DR cluster", std::chrono::seconds(180), [&] {
        CmdResult triage = in_dr({"triage", "--json"});
        const std::string last = LastLine(triage.out);
        return json::accept(last) && json::parse(last).value("verdict", "") == "healthy";
      });
  EXPECT_TRUE(healthy.ok()) << healthy.ToString() << in_dr({"triage"}).out;
}

// Scheduled backups by `serve` running in its pod (issue 51, item 3): deploy/'s operator
// Deployment runs HASteward's image (deploy/image/build.sh, imported into the node's containerd)
// with its repository on a volume claim, the Cluster opts in through its annotation. The operator
// in namespace `hasteward` finds the Cluster in `db` (discovery lists every namespace), reaches
// its pods over the pod network with its ServiceAccount, backs it up on the minutely schedule and
// leaves a BackupSucceeded Event on it. The CLI then reads that repository (the claim's volume on
// the node), restores the operator's snapshot over damage, and every instance holds the checksums
// of the time of the scheduled backup.
TEST_F(CnpgNodeTest, ServeInItsPodBacksTheAnnotatedClusterUpOnSchedule) {
  const char* binary = std::getenv("HASTEWARD_TEST_BIN");
  ASSERT_NE(binary, nullptr) << "HASTEWARD_TEST_BIN names the binary the image is made from";
  core::Status imported = node_->ImportHastewardImage(binary, kHastewardImage);
  ASSERT_TRUE(imported.ok()) << imported.ToString();
  // The repository's claim of an earlier run goes first (namespace hasteward outlives the suites):
  // once the operator's pod is gone, the claim's deletion completes and the node empties the
  // volume.
  (void)node_->Kubectl({"scale", "-n", "hasteward", "deployment/hasteward", "--replicas=0"});
  CmdResult old_claim = node_->Kubectl({"delete", "pvc", "hasteward-repository", "-n", "hasteward",
                                        "--ignore-not-found", "--wait=true", "--timeout=180s"});
  ASSERT_EQ(old_claim.exit_code, 0) << old_claim.err;
  const std::string password = env_->password() + "-serve";
  ASSERT_TRUE(node_->Apply(ServeResources(password)).ok());
  CmdResult patched = node_->Kubectl({"patch", "deployment", "hasteward", "-n", "hasteward",
                                      "--type", "strategic", "-p", OperatorPodPatch().dump()});
  ASSERT_EQ(patched.exit_code, 0) << patched.err;
  auto running = node_->WaitFor(
      "the operator's pod from HASteward's image to be ready", std::chrono::seconds(300),
      [] {
        auto deployment = node_->Get("deployment", "hasteward", "hasteward");
        return deployment.ok() && deployment->value("/status/readyReplicas"_json_pointer, 0) == 1 &&
               deployment->value("/status/updatedReplicas"_json_pointer, 0) == 1 &&
               deployment->value("/status/replicas"_json_pointer, 0) == 1;
      },
      [] {
        return node_->Kubectl({"get", "pods", "-n", "hasteward", "-o", "wide"}).out +
               node_->Kubectl({"get", "events", "-n", "hasteward"}).out +
               node_->Kubectl({"logs", "-n", "hasteward", "deployment/hasteward"}).out;
      });
  ASSERT_TRUE(running.ok()) << running.ToString();
  // The repository is made once by its owner, here inside the operator's pod on its volume.
  CmdResult init = node_->Kubectl({"exec", "-n", "hasteward", "deployment/hasteward", "--", "env",
                                   "RESTIC_PASSWORD=" + password, "hasteward", "repo", "init", "-r",
                                   kPodRepository});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;

  const std::string primary = Primary();
  const std::string before = ShopChecksums(primary);
  ASSERT_EQ(before.rfind("error", 0), std::string::npos) << before;
  ASSERT_EQ(node_
                ->Kubectl({"annotate", "clusters.postgresql.cnpg.io", kCluster, "-n", kNamespace,
                           "--overwrite", std::string(kPolicyAnnotation) + "=tier-minutely"})
                .exit_code,
            0);
  auto backed_up = node_->WaitFor(
      "a BackupSucceeded Event of the operator's scheduled backup on the Cluster",
      std::chrono::seconds(300), [] { return BackupEvents() >= 1; },
      [] {
        return node_->Kubectl({"logs", "-n", "hasteward", "deployment/hasteward"}).out;
      });
  ASSERT_TRUE(backed_up.ok()) << backed_up.ToString();
  // The operator stops backing up before the restore (no new snapshot of the damage), and on.
  ASSERT_EQ(node_
                ->Kubectl({"annotate", "clusters.postgresql.cnpg.io", kCluster, "-n", kNamespace,
                           std::string(kPolicyAnnotation) + "-"})
                .exit_code,
            0);
  (void)node_->Kubectl({"scale", "-n", "hasteward", "deployment/hasteward", "--replicas=0"});

  // The repository as the node holds it: the claim's local volume.
  auto claim = node_->Get("pvc", "hasteward", "hasteward-repository");
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  auto volume = node_->Get("pv", "", claim->value("/spec/volumeName"_json_pointer, std::string()));
  ASSERT_TRUE(volume.ok()) << volume.status().ToString();
  const std::string repository =
      volume->value("/spec/local/path"_json_pointer, std::string()) + "/restic";
  const std::string password_file = WriteFile(env_->Path("serve-password"), password + "\n");
  auto in_pod_repository = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-r", repository, "--password-file", password_file});
    return Kube(std::move(args));
  };
  ASSERT_EQ(Psql(primary, "DELETE FROM orders WHERE id > 100", "shop").exit_code, 0);
  ASSERT_NE(ShopChecksums(primary), before) << "the damage must show";
  CmdResult restored = in_pod_repository({"restore", "--confirm-overwrite"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(ShopChecksums(primary), before);
  ExpectEveryInstanceHolds(before);
}

}  // namespace
}  // namespace hasteward::testing
