// A native (physical) restore through `hasteward --platform kubernetes`: the snapshot's tree is
// streamed as one tar archive into `tar -x` run in the target pod through pod exec (a real
// kube-apiserver proxies it to the test node, which runs it as the sandbox instance's OS user),
// checked file by file against the backup's checksums on the way, and swapped in there; the target
// is the instance stopped (fenced: the CNPG fencing annotation, honoured by
// FakeCnpgInstanceManager) before the restore, and the other instance is re-cloned from it. A
// mariadb-operator cluster is stopped by the restore itself (FakeMariaDbOperator: the MariaDB
// suspended, its StatefulSet scaled to zero, the tree streamed into a helper pod mounting ordinal
// 0's claim) and handed back to the operator afterwards. Without --confirm-overwrite, and while
// newer data would be discarded without --confirm-rewind, nothing is changed. Where the volume is
// mounted at the data directory itself (a real mariadb-operator pod) the tree is staged and
// swapped inside it. A point-in-time restore (`restore --until`) gets its base the same way and the
// archived WAL it replays streamed into a directory beside the pod's data directory
// (pitr/wal/wal_supply.h), from which the server's restore_command copies.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/mount.h>

#include "core/poll_until.h"
#include "support/command.h"
#include "support/kube_published_cluster.h"
#include "support/real_kube_audit.h"
#include "support/rest_test_server.h"
#include "support/server_user_file.h"
#include "support/wal_switch.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;
namespace resources = platform::kubernetes::resources;

struct NativeCase {
  platform::EngineKind engine;
  std::string cluster;
  // The instance the user stops for the restore (it becomes the target); "" where the restore
  // stops every instance itself (mariadb-operator: suspended, its StatefulSet scaled to zero).
  std::string target;
};

// docs/exit-codes.md
constexpr int kConfirmationRequired = 26;
constexpr int kVerifyFailed = 28;
constexpr int kNewerData = 30;

class KubernetesNativeRestoreTest : public ::testing::TestWithParam<NativeCase> {
 protected:
  void SetUp() override {
    // PostgreSQL-only cases skip before a cluster is started for nothing.
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    if (GetParam().engine != platform::EngineKind::kPostgres) {
      if (test.rfind("AFileDiffering", 0) == 0) {
        GTEST_SKIP() << "only PostgreSQL's native backups carry a checksum manifest";
      }
      if (test.rfind("PointInTime", 0) == 0) {
        GTEST_SKIP() << "a WAL archive is PostgreSQL's";
      }
    } else if (test.rfind("AVolumeMounted", 0) == 0 || test.rfind("Binlog", 0) == 0) {
      GTEST_SKIP() << "only mariadb-operator's restore stops every instance itself";
    }
    auto kube = KubePublishedCluster::Start({.engine = GetParam().engine,
                                             .name = GetParam().cluster,
                                             .instances = 2,
                                             .temp_prefix = "hs-knative-"});
    ASSERT_TRUE(kube.ok()) << kube.status().ToString();
    kube_ = std::move(kube).value();
    ASSERT_TRUE(kube_->LoadShopDataset().ok());
  }

  void TearDown() override {
    if (!bind_mount_.empty()) {
      ::umount2(bind_mount_.c_str(), MNT_DETACH);
    }
  }

  std::string Checksums(int ordinal) const {
    auto sums = kube_->ShopChecksums(ordinal);
    return sums.ok() ? *sums : "ERROR " + sums.status().ToString();
  }
  // Polls (60 s) until instance `ordinal` holds `expected`.
  bool Holds(int ordinal, const std::string& expected) const {
    return core::PollUntil([&] { return Checksums(ordinal) == expected; },
                           std::chrono::seconds(60));
  }
  // How many exec sessions ran `sh -c SCRIPT <name> ...`: "hasteward-untar" the streamed tree's
  // `tar -x`, "hasteward-untar-wal" the streamed WAL's. Only sessions the server opened count: an
  // exec of a pod scaled away is answered 404 (the restore then uses its helper pod). The audit
  // log has an exec once its stream ended, which may be just after the CLI exited: polled (10 s)
  // until there are `at_least`.
  size_t ExecSessions(const std::string& name = "hasteward-untar", size_t at_least = 0) const {
    size_t count = 0;
    core::PollUntil(
        [&] {
          std::vector<AuditedRequest> opened;
          for (const AuditedRequest& request : kube_->operator_api().OperatorRequests()) {
            if (request.code < 400) {
              opened.push_back(request);
            }
          }
          auto commands = ExecCommandsOf(opened);
          count = static_cast<size_t>(std::count_if(
              commands.begin(), commands.end(),
              [&](const auto& c) { return std::find(c.begin(), c.end(), name) != c.end(); }));
          return count >= at_least;
        },
        std::chrono::seconds(10));
    return count;
  }
  size_t UntarSessions(size_t at_least = 0) const {
    return ExecSessions("hasteward-untar", at_least);
  }
  // The operator's exec requests as the audit log has them, for failure messages.
  std::string ExecLog() const {
    std::string log;
    for (const AuditedRequest& request : kube_->operator_api().OperatorRequests()) {
      if (request.needed.resource == "pods/exec") {
        log += request.Text() + " " + request.uri + "\n";
      }
    }
    return log;
  }

  // The MariaDB resource or its StatefulSet as the API server holds it (null when unread).
  nlohmann::json MariaDbObject(const platform::kubernetes::KubeResource& res) {
    auto object = kube_->admin().Get(res, "db", GetParam().cluster);
    return object.ok() ? *object : json();
  }
  // mariadb-operator has the cluster as it declared it: not suspended, no mark of HASteward's,
  // every pod there and its server ready.
  void ExpectInTheOperatorsHands() {
    nlohmann::json mariadb = MariaDbObject(resources::kMariaDbs);
    EXPECT_FALSE(mariadb.value("/spec/suspend"_json_pointer, false)) << mariadb.dump();
    EXPECT_FALSE(mariadb.contains("/metadata/annotations"_json_pointer /
                                  "clinic.hasteward.prplanit.com/suspended-for"))
        << mariadb.dump();
    nlohmann::json set = MariaDbObject(resources::kStatefulSets);
    EXPECT_EQ(set.value("/spec/replicas"_json_pointer, 0), 2) << set.dump();
    auto pods = kube_->Kube({"triage", "--json"});
    EXPECT_EQ(pods.exit_code, 0) << pods.out << pods.err;
  }

  // The uid of every pod of the cluster now: a pod scaled away and back has a new one.
  std::string PodUids() {
    std::string uids;
    for (int ordinal = 0; ordinal < 2; ++ordinal) {
      auto pod = kube_->admin().Get(resources::kPods, "db",
                                    GetParam().cluster + "-" + std::to_string(ordinal));
      uids += (pod.ok() ? pod->value("/metadata/uid"_json_pointer, std::string("(none)"))
                        : std::string("(none)")) +
              " ";
    }
    return uids;
  }

  // A point-in-time restore's repository (over HTTP, as the server's archive_command reaches it):
  // declared first, so destroyed after the cluster, whose servers archive until they stopped.
  std::unique_ptr<RestTestServer> rest_;
  std::unique_ptr<KubePublishedCluster> kube_;
  std::string bind_mount_;  // unmounted in TearDown, before the cluster is removed
};

TEST_P(KubernetesNativeRestoreTest, RestoresThroughPodExecWithEqualChecksumsOnEveryInstance) {
  const std::string before = Checksums(0);
  ASSERT_TRUE(Holds(1, before)) << "instance 1 did not catch up: " << Checksums(1);
  auto backup = kube_->Kube({"backup", "--method", "native", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;

  auto damaged = kube_->sandbox().Sql(
      0, "DELETE FROM orders WHERE id % 3 = 0; DELETE FROM items WHERE id < 50;", "shop");
  ASSERT_TRUE(damaged.ok()) << damaged.status().ToString();
  const std::string after_damage = Checksums(0);
  ASSERT_NE(after_damage, before) << "the damage must show";

  // The damage reached every instance before the target stops.
  ASSERT_TRUE(Holds(1, after_damage)) << Checksums(1);
  const bool user_stops = !GetParam().target.empty();
  if (user_stops) {
    auto stopped = kube_->Kube({"instance", "stop", "-i", GetParam().target});
    ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  }
  const std::string pods_before = user_stops ? "" : PodUids();
  // Unconfirmed: refused before the tree is written anywhere.
  auto unconfirmed = kube_->Kube({"restore", "--method", "native"});
  EXPECT_EQ(unconfirmed.exit_code, kConfirmationRequired) << unconfirmed.out << unconfirmed.err;
  EXPECT_EQ(UntarSessions(), 0U);
  // The damage is newer than the backup: without --confirm-rewind the discard gate refuses, and
  // the data directory is left as it was. With the target stopped by the user the gate runs
  // after the tree was streamed and checked (and removes it); where the restore stops every
  // instance itself, it runs first, while their positions can be read, and nothing is stopped.
  auto gated = kube_->Kube({"restore", "--method", "native", "--yes"});
  EXPECT_EQ(gated.exit_code, kNewerData) << gated.out << gated.err;
  EXPECT_EQ(UntarSessions(user_stops ? 1U : 0U), user_stops ? 1U : 0U);
  if (!user_stops) {
    ExpectInTheOperatorsHands();
    EXPECT_EQ(PodUids(), pods_before) << "a refused restore stopped a pod";
    EXPECT_EQ(Checksums(0), after_damage) << "the refused restore changed the primary";
  }

  auto restored = kube_->Kube({"restore", "--method", "native", "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(UntarSessions(user_stops ? 2U : 1U), user_stops ? 2U : 1U)
      << "the tree went through pod exec\n"
      << ExecLog();
  EXPECT_TRUE(Holds(0, before)) << Checksums(0);
  EXPECT_TRUE(Holds(1, before)) << "the other instance was rebuilt from the restored one: "
                                << Checksums(1);
  auto triage = kube_->Kube({"triage", "--json"});
  EXPECT_EQ(triage.exit_code, 0) << triage.out << triage.err;
  if (!user_stops) {
    ExpectInTheOperatorsHands();
    EXPECT_NE(PodUids(), pods_before) << "the restore scaled every pod away and back";
    // Replication runs again: a write on the restored primary reaches the rebuilt replica.
    auto written = kube_->sandbox().Sql(0, "DELETE FROM items WHERE id > 290", "shop");
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    const std::string after_write = Checksums(0);
    EXPECT_NE(after_write, before);
    EXPECT_TRUE(Holds(1, after_write)) << Checksums(1);
  }
}

// A real mariadb-operator pod mounts its volume claim at the data directory itself: the kernel
// refuses to rename it (EBUSY), and its parent is the container's own filesystem, where a staged
// tree would not outlive the pod. The fake maps the pod's data directory onto the instance's own
// directory; bind-mounted onto itself, that directory is the mount point a real pod has. The
// restore stages the tree inside it and swaps entry by entry (engine/native_restore_steps.h):
// equal checksums on both instances, the replaced data kept inside the volume under a name
// MariaDB lists as no database, nothing of the swap's own left, and a dump backup afterwards
// holds the cluster's databases only.
TEST_P(KubernetesNativeRestoreTest, AVolumeMountedAtTheDataDirectoryIsSwappedInsideIt) {
  const std::string before = Checksums(0);
  ASSERT_TRUE(Holds(1, before)) << "instance 1 did not catch up: " << Checksums(1);
  auto backup = kube_->Kube({"backup", "--method", "native", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  auto damaged = kube_->sandbox().Sql(0, "DELETE FROM items WHERE id < 50", "shop");
  ASSERT_TRUE(damaged.ok()) << damaged.status().ToString();
  ASSERT_NE(Checksums(0), before) << "the damage must show";
  const std::string data_dir = kube_->sandbox().instance(0).data_dir;
  ASSERT_EQ(::mount(data_dir.c_str(), data_dir.c_str(), nullptr, MS_BIND, nullptr), 0)
      << data_dir << ": " << std::strerror(errno);
  bind_mount_ = data_dir;

  auto restored = kube_->Kube({"restore", "--method", "native", "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.err.find("is its volume's mount point"), std::string::npos) << restored.err;
  EXPECT_EQ(UntarSessions(1), 1U) << "the tree went through pod exec\n" << ExecLog();
  EXPECT_TRUE(Holds(0, before)) << Checksums(0);
  EXPECT_TRUE(Holds(1, before)) << "the other instance was rebuilt from the restored one: "
                                << Checksums(1);
  ExpectInTheOperatorsHands();
  auto read_only = kube_->sandbox().Sql(1, "SELECT @@global.read_only", "");
  ASSERT_TRUE(read_only.ok()) << read_only.status().ToString();
  EXPECT_EQ(read_only->substr(0, 1), "1") << "the rebuilt replica takes writes";

  std::vector<std::string> ours;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("#sql-hasteward-", 0) == 0) {
      ours.push_back(name);
    }
  }
  ASSERT_EQ(ours.size(), 1U) << "only the kept data directory is left of the swap";
  EXPECT_EQ(ours[0].rfind("#sql-hasteward-replaced-", 0), 0U) << ours[0];
  EXPECT_NE(restored.err.find(data_dir + "/" + ours[0]), std::string::npos)
      << "the log names where the replaced data is kept: " << restored.err;
  EXPECT_TRUE(std::filesystem::is_directory(data_dir + "/" + ours[0] + "/shop"))
      << "the replaced data directory's databases are kept";
  auto databases = kube_->sandbox().Sql(0, "SHOW DATABASES", "");
  ASSERT_TRUE(databases.ok()) << databases.status().ToString();
  EXPECT_EQ(databases->find("hasteward"), std::string::npos) << *databases;
  auto dump = kube_->Kube({"backup", "--method", "dump", "--json"});
  EXPECT_EQ(dump.exit_code, 0) << dump.out << dump.err;
}

// A file that differs from the backup's manifest is found while the tree streams: tar in the pod
// sees the archive cut short, the staging directory is removed there, and the data directory was
// never touched.
TEST_P(KubernetesNativeRestoreTest, AFileDifferingFromItsManifestStopsTheStreamAndChangesNothing) {
  if (GetParam().engine != platform::EngineKind::kPostgres) {
    GTEST_SKIP() << "only PostgreSQL's native backups carry a checksum manifest";
  }
  const std::string before = Checksums(0);
  auto relation = kube_->sandbox().Sql(0, "SELECT pg_relation_filepath('orders')", "shop");
  ASSERT_TRUE(relation.ok()) << relation.status().ToString();
  std::string file = relation->substr(0, relation->find('\n'));
  auto backup = kube_->Kube({"backup", "--method", "native", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  json original = json::parse(kube_->env().Restic({"snapshots", "--json"}).out).at(0);
  const std::string id = original["id"].get<std::string>();

  // The same tree with one byte of the table's file changed, stored again by stock restic with
  // the original's tags and host: what a bit flip before encryption would leave.
  HastewardEnv& env = kube_->env();
  const std::string copy = env.Path("tampered");
  ASSERT_EQ(env.Restic({"restore", id, "--target", copy}).exit_code, 0);
  const std::string data = copy + "/db/" + GetParam().cluster + "/data";
  {
    std::fstream f(data + "/" + file, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good()) << data + "/" + file;
    f.seekg(8192 + 100);
    char byte = 0;
    f.read(&byte, 1);
    f.seekp(8192 + 100);
    byte = static_cast<char>(byte ^ 0x5a);
    f.write(&byte, 1);
  }
  std::vector<std::string> store = {"backup", "--host", original["hostname"].get<std::string>(),
                                    data};
  for (const auto& tag : original["tags"]) {
    store.insert(store.end(), {"--tag", tag.get<std::string>()});
  }
  auto stored = env.Restic(store);
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  std::string tampered;
  for (const auto& snapshot : json::parse(env.Restic({"snapshots", "--json"}).out)) {
    if (snapshot["id"] != id) {
      tampered = snapshot["id"].get<std::string>();
    }
  }
  ASSERT_FALSE(tampered.empty());

  auto stopped = kube_->Kube({"instance", "stop", "-i", GetParam().target});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  auto refused = kube_->Kube({"restore", "--snapshot", tampered, "--yes"});
  EXPECT_EQ(refused.exit_code, kVerifyFailed) << refused.out << refused.err;
  EXPECT_NE(refused.err.find(file), std::string::npos) << refused.err;
  EXPECT_EQ(UntarSessions(1), 1U) << "the tree went through pod exec";
  const std::string data_dir = kube_->sandbox().instance(0).data_dir;
  EXPECT_FALSE(std::filesystem::exists(data_dir + ".hasteward-restore"))
      << "the staging directory was left in the pod";
  auto started = kube_->Kube({"instance", "start", "-i", GetParam().target});
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  EXPECT_TRUE(Holds(0, before)) << "the refused restore changed the instance's data: "
                                << Checksums(0);
}

// `restore --until T` through the kubernetes platform: the base and the archived WAL both reach
// the pod through exec, the time target's proof reads the streamed segments there, and the server
// replays from them. Every instance ends with exactly the rows of T: the write before it is in,
// the one after it is not, and the WAL directory is gone from beside the data directory.
TEST_P(KubernetesNativeRestoreTest, PointInTimeRestoreReplaysWalStreamedThroughPodExec) {
  if (GetParam().engine != platform::EngineKind::kPostgres) {
    GTEST_SKIP() << "a WAL archive is PostgreSQL's";
  }
  // The server's archive_command runs as its OS user: the repository is reached over HTTP and
  // the password comes from a file that user owns (as in pitr_test).
  HastewardEnv& env = kube_->env();
  auto server = RestTestServer::Start(env.Path("rest"));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  rest_ = std::move(server).value();
  env.UseRepository(rest_->Location("repo/"));
  ASSERT_EQ(env.Run({"repo", "init"}).exit_code, 0);
  auto password = WriteServerPasswordFile(env.Path("server-password"), env.password(),
                                          kube_->sandbox().instance(0).os_user);
  ASSERT_TRUE(password.ok()) << password.status().ToString();
  auto enabled = kube_->Kube({"archive", "enable", "--password-file", *password});
  ASSERT_EQ(enabled.exit_code, 0) << enabled.out << enabled.err;
  auto backup = kube_->Kube({"backup", "--method", "native", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;

  auto sql = [&](const std::string& text) {
    auto value = kube_->ShopValue(text);
    EXPECT_TRUE(value.ok()) << value.status().ToString() << " for " << text;
    return value.ok() ? *value : std::string();
  };
  sql("DELETE FROM orders WHERE id % 3 = 0");
  const std::string at_target = Checksums(0);
  const std::string target = sql(
      "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
  sql("DELETE FROM items WHERE id < 50");
  ASSERT_NE(Checksums(0), at_target) << "the write after the target must show";
  // The segment holding the write after the target archived, so the proof finds its commit.
  core::Status archived = SwitchWalAndWaitArchived(sql);
  ASSERT_TRUE(archived.ok()) << archived.ToString();

  auto stopped = kube_->Kube({"instance", "stop", "-i", GetParam().target});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  auto restored = kube_->Kube(
      {"restore", "--until", target, "--yes", "--confirm-rewind", "--password-file", *password});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(UntarSessions(1), 1U) << "the base went through pod exec";
  EXPECT_GE(ExecSessions("hasteward-untar-wal", 1), 1U) << "the WAL went through pod exec";
  EXPECT_TRUE(Holds(0, at_target)) << Checksums(0);
  EXPECT_TRUE(Holds(1, at_target))
      << "the other instance was rebuilt from the restored one: " << Checksums(1);
  const std::string data_dir = kube_->sandbox().instance(0).data_dir;
  EXPECT_FALSE(std::filesystem::exists(data_dir + ".hasteward-wal"))
      << "the streamed WAL directory was left in the pod";
}

// `restore --until-gtid G` of a mariadb-operator cluster: the binlogs archived through the
// port-forward, the base streamed into ordinal 0's volume with every pod scaled away, ordinal 0
// started alone with the MariaDB still suspended and held (so the operator, which sets
// read_only = 0 on a primary it reconciles, cannot open it half-replayed), the archived binlogs
// replayed through its connection, its position checked, and only then the cluster handed back
// and the replica rebuilt. Every instance ends with exactly the rows at G: the write before it is
// in, the one after it is not; the primary takes writes again and its replica follows them.
// First killed after the base was restored and before the replay: the cluster stays held (the
// MariaDB suspended and marked, ordinal 0 alone and read-only), and the same command, rerun,
// finishes it.
TEST_P(KubernetesNativeRestoreTest, BinlogPointInTimeRestoreReplaysIntoTheHeldTarget) {
  auto backup = kube_->Kube({"backup", "--method", "native", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  auto sql = [&](int ordinal, const std::string& text) {
    auto out = kube_->sandbox().Sql(ordinal, text, "shop");
    EXPECT_TRUE(out.ok()) << out.status().ToString() << " for " << text;
    return out.ok() ? out->substr(0, out->find('\n')) : std::string();
  };
  sql(0, "DELETE FROM orders WHERE id % 3 = 0");
  const std::string at_target = Checksums(0);
  const std::string target = sql(0, "SELECT @@gtid_binlog_pos");
  ASSERT_FALSE(target.empty());
  sql(0, "DELETE FROM items WHERE id < 50");
  ASSERT_NE(Checksums(0), at_target) << "the write after the target must show";
  auto archived = kube_->Kube({"archive", "binlog", "--json"});
  ASSERT_EQ(archived.exit_code, 0) << archived.out << archived.err;

  // --heal-timeout: the time the rebuilt replica has to catch up (the hint of its wait names it).
  const std::vector<std::string> restore = {"restore",          "--until-gtid",   target, "--yes",
                                            "--confirm-rewind", "--heal-timeout", "300s"};
  auto killed = kube_->Kube(restore, {{"HASTEWARD_FAILPOINT", "binlog-restore-before-replay"}});
  ASSERT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
  nlohmann::json mariadb = MariaDbObject(resources::kMariaDbs);
  EXPECT_TRUE(mariadb.value("/spec/suspend"_json_pointer, false)) << mariadb.dump();
  EXPECT_EQ(
      mariadb.value("/metadata/annotations"_json_pointer / "clinic.hasteward.prplanit.com/held-for",
                    std::string()),
      GetParam().cluster + "-0")
      << mariadb.dump();
  EXPECT_EQ(MariaDbObject(resources::kStatefulSets).value("/spec/replicas"_json_pointer, -1), 1);
  EXPECT_EQ(sql(0, "SELECT @@global.read_only"), "1") << "the half-restored target takes writes";

  // The rerun finds ordinal 1 scaled away (its instance has the resource's port, not a pod's):
  // the gate brings it back to read it, with the MariaDB still held.
  auto restored = kube_->Kube(restore);
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(UntarSessions(2), 2U) << "the base went through pod exec\n" << ExecLog();
  EXPECT_NE(restored.err.find("stays suspended: a restore holds it"), std::string::npos)
      << "the target started with the operator kept away: " << restored.err;
  EXPECT_TRUE(Holds(0, at_target)) << Checksums(0);
  EXPECT_TRUE(Holds(1, at_target))
      << "the replica was rebuilt from the replayed primary: " << Checksums(1);
  ExpectInTheOperatorsHands();
  EXPECT_EQ(sql(1, "SELECT @@global.read_only"), "1") << "the rebuilt replica takes writes";
  EXPECT_EQ(sql(0, "SELECT @@global.read_only"), "0") << "the restored primary stayed read-only";
  sql(0, "DELETE FROM items WHERE id > 290");
  const std::string after_write = Checksums(0);
  EXPECT_NE(after_write, at_target);
  EXPECT_TRUE(Holds(1, after_write)) << Checksums(1);
}

INSTANTIATE_TEST_SUITE_P(
    Operators, KubernetesNativeRestoreTest,
    ::testing::Values(NativeCase{platform::EngineKind::kPostgres, "pg", "0"},
                      // mariadb-operator: the restore suspends the MariaDB, scales its
                      // StatefulSet to zero and writes ordinal 0 through a pod on its claim.
                      NativeCase{platform::EngineKind::kMariadb, "mdb", ""}),
    [](const auto& param_info) { return param_info.param.cluster; });

}  // namespace
}  // namespace hasteward::testing
