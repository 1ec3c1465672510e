// `hasteward --platform kubernetes` from a host that reaches the API server and nothing else: the
// CLI runs in a network namespace of its own (support/isolated_netns.h) in which the only thing
// listening is a relay to the real kube-apiserver (a socket made inside that namespace, each
// connection joined byte for byte to the API server on the root namespace's loopback: the CLI's
// TLS session is the API server's own), while the database "pods" (sandbox instances) listen on
// the root namespace's loopback, reachable from the API server's node alone.
// Through port-forward and exec: triage, a logical backup + damage + restore round trip, an export
// equal to stock restic's dump of the snapshot, and a verify (into a scratch instance on the
// CLI's host) pass; a switchover is the operator's, asked for through the API and proven through
// port-forward, and an operator that leaves two writable instances is caught; a CloudNativePG
// point-in-time restore streams its base and WAL into the pod through exec (docs/kubernetes.md,
// "From a host that reaches only the API server").
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/poll_until.h"
#include "support/command.h"
#include "support/isolated_netns.h"
#include "support/kube_published_cluster.h"
#include "support/loopback_relay.h"
#include "support/mariadb_set_writer.h"
#include "support/real_kube_audit.h"
#include "support/rest_test_server.h"
#include "support/server_user_file.h"
#include "support/wal_switch.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;
namespace resources = platform::kubernetes::resources;

struct ApiOnlyCase {
  platform::EngineKind engine;
  std::string cluster;
  std::string dump_file;      // the dump's name in a snapshot: <ns>/<cluster>/<dump_file>
  std::string dump_end;       // the dump tool's last line
  bool has_accounts = false;  // a MariaDB dump, exported as stored with --users include
};

class KubernetesApiOnlyTest : public ::testing::TestWithParam<ApiOnlyCase> {
 protected:
  void SetUp() override {
    auto netns = IsolatedNetns::Start();
    ASSERT_TRUE(netns.ok()) << netns.status().ToString();
    netns_ = std::move(netns).value();
    auto kube = KubePublishedCluster::Start(
        {.engine = GetParam().engine, .name = GetParam().cluster, .instances = 2});
    ASSERT_TRUE(kube.ok()) << kube.status().ToString();
    kube_ = std::move(kube).value();
    UseTheRelay();
    kube_->env().SetCommandPrefix(netns_->EnterPrefix());
  }

  // The API server's port on the root namespace's loopback.
  int ApiPort() const {
    const std::string url = kube_->api().url();
    return std::stoi(url.substr(url.rfind(':') + 1));
  }

  // A real kube-apiserver binds its own socket: inside the namespace the relay listens, and the
  // CLI's kubeconfig (the operator's, its server replaced) names it. The server's certificate is
  // valid for 127.0.0.1, the address dialled on both sides.
  void UseTheRelay() {
    auto listen = netns_->ListenOnLoopback();
    ASSERT_TRUE(listen.ok()) << listen.status().ToString();
    auto relay = LoopbackRelay::Start(std::move(listen).value(), ApiPort());
    ASSERT_TRUE(relay.ok()) << relay.status().ToString();
    relay_ = std::move(relay).value();
    ASSERT_NE(relay_->port(), ApiPort()) << "the isolation check below tells them apart by port";
    auto kubeconfig = core::ReadFileToString(kube_->operator_api().env().at("KUBECONFIG"));
    ASSERT_TRUE(kubeconfig.ok()) << kubeconfig.status().ToString();
    const std::string url = kube_->api().url();
    std::string relayed = *kubeconfig;
    ASSERT_NE(relayed.find(url), std::string::npos) << relayed;
    relayed.replace(relayed.find(url), url.size(),
                    "https://127.0.0.1:" + std::to_string(relay_->port()));
    const std::string path = kube_->env().Path("kubeconfig-relayed");
    ASSERT_TRUE(core::WriteFileAtomically(path, core::AsBytes(relayed)).ok());
    kube_->env().Set("KUBECONFIG", path);
  }

  // Whether a TCP connection to 127.0.0.1:port succeeds from inside the namespace.
  bool ReachableInside(int port) const {
    std::vector<std::string> argv = netns_->EnterPrefix();
    argv.insert(argv.end(), {"timeout", "5", "bash", "-c",
                             "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port)});
    return RunCommand(argv).exit_code == 0;
  }

  // The snapshot id of `backup ... --json` (the last JSON object of its output), or "".
  static std::string SnapshotIdOf(const CmdResult& backup) {
    size_t at = backup.out.rfind("{\"");
    if (backup.exit_code != 0 || at == std::string::npos) {
      return "";
    }
    return json::parse(backup.out.substr(at)).value("snapshot_id", "");
  }

  // The ordinals of the sandbox instances that take writes now, read directly (a stopped one
  // takes none).
  std::vector<int> WritableOrdinals() const {
    const bool postgres = GetParam().engine == platform::EngineKind::kPostgres;
    std::vector<int> writable;
    for (int ordinal = 0; ordinal < 2; ++ordinal) {
      auto answer = kube_->sandbox().Sql(
          ordinal, postgres ? "SELECT pg_is_in_recovery();" : "SELECT @@GLOBAL.read_only;");
      if (answer.ok() && answer->substr(0, 1) == (postgres ? "f" : "0")) {
        writable.push_back(ordinal);
      }
    }
    return writable;
  }

  // `triage --json` through the API: its verdict and the name of the instance it calls primary.
  std::pair<std::string, std::string> VerdictAndPrimary() const {
    auto t = kube_->Kube({"triage", "--json"});
    auto report = json::parse(t.out, nullptr, false);
    if (!report.is_object()) {
      return {"unparsed: " + t.out + t.err, ""};
    }
    std::string primary;
    for (const auto& i : report.value("instances", json::array())) {
      if (i.value("role", "") == "primary") {
        primary = i.value("name", "");
      }
    }
    return {report.value("verdict", ""), primary};
  }

  std::unique_ptr<IsolatedNetns> netns_;
  std::unique_ptr<LoopbackRelay> relay_;  // the namespace's only listener, to the API server
  // The archive's repository over HTTP on the root namespace's loopback, where the servers'
  // archive_command reaches it: destroyed after the cluster, whose servers archive until stopped.
  std::unique_ptr<RestTestServer> rest_;
  std::unique_ptr<KubePublishedCluster> kube_;
};

TEST_P(KubernetesApiOnlyTest, TriageBackupRestoreExportAndVerifyReachThePodsOnlyThroughTheApi) {
  // The isolation is real: the databases cannot be dialled from where the CLI runs.
  for (const auto& instance : kube_->sandbox().cluster().instances) {
    ASSERT_FALSE(ReachableInside(instance.port)) << instance.name << " is reachable directly";
  }
  ASSERT_FALSE(ReachableInside(ApiPort()))
      << "the API server itself listens outside the namespace: only the relay leads to it";
  ASSERT_TRUE(ReachableInside(relay_->port())) << "the relay to the API server";
  auto triage = kube_->Kube({"triage", "--json"});
  ASSERT_EQ(triage.exit_code, 0) << triage.out << triage.err;
  EXPECT_EQ(json::parse(triage.out)["verdict"], "healthy") << triage.out;
  EXPECT_GT(kube_->operator_api().AllowedOperatorRequests("pods/portforward"), 0);

  ASSERT_TRUE(kube_->LoadShopDataset().ok());
  auto before = kube_->ShopChecksums();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  auto backup = kube_->Kube({"backup", "--json"});
  std::string id = SnapshotIdOf(backup);
  ASSERT_FALSE(id.empty()) << backup.out << backup.err;
  auto damaged = kube_->sandbox().Sql(0, "DELETE FROM orders WHERE id > 100;", "shop");
  ASSERT_TRUE(damaged.ok()) << damaged.status().ToString();
  ASSERT_NE(*kube_->ShopChecksums(), *before) << "the damage must show";
  auto restored = kube_->Kube({"restore", "--confirm-overwrite"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto after = kube_->ShopChecksums();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, *before);

  // export: the dump as stored (a MariaDB one with its accounts), byte for byte what stock restic
  // reads from the snapshot, and whole (it ends with the dump tool's last line).
  std::string exported = kube_->env().Path("export.sql");
  std::vector<std::string> export_args = {"export", "--snapshot", id, "-o", exported};
  if (GetParam().has_accounts) {
    export_args.insert(export_args.end(), {"--users", "include"});
  }
  auto exporting = kube_->Kube(export_args);
  ASSERT_EQ(exporting.exit_code, 0) << exporting.err;
  auto referee =
      kube_->env().Restic({"dump", id, "/db/" + GetParam().cluster + "/" + GetParam().dump_file});
  ASSERT_EQ(referee.exit_code, 0) << referee.err;
  auto text = core::ReadFileToString(exported);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->size(), referee.out.size());
  EXPECT_TRUE(*text == referee.out) << "the export differs from restic's dump of the snapshot";
  EXPECT_NE(text->find(GetParam().dump_end), std::string::npos);

  // verify: restored into a scratch instance on the CLI's own host (its loopback, inside the
  // namespace), with the cluster's credentials read through the API.
  auto verified = kube_->Kube({"verify", "--snapshot", id, "--json"});
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  json report = json::parse(verified.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << verified.out;
  EXPECT_EQ(report["report"].value("verdict", ""), "ok") << verified.out;
  int shop_tables = 0;
  for (const auto& t : report["report"].value("tables", json::array())) {
    shop_tables += t.value("database", "") == "shop" && t.value("check", "") == "ok" ? 1 : 0;
  }
  EXPECT_EQ(shop_tables, 2) << verified.out;
}

// A planned switchover to the other instance is the operator's (CNPG: status.targetPrimary, as
// `kubectl cnpg promote` writes it; mariadb-operator: spec.replication.primary.podIndex), asked
// for through the API and proven by HASteward through port-forward: exit 0, the operator reports
// the candidate as its primary, triage is healthy with the candidate the primary, and a write on
// the new primary reaches the old one, which now replicates from it.
TEST_P(KubernetesApiOnlyTest, SwitchoverIsTheOperatorsAndHastewardProvesIt) {
  // The pods' names as the operator gives them (CNPG counts from 1): the primary and the other.
  auto [verdict_before, old_primary] = VerdictAndPrimary();
  ASSERT_EQ(verdict_before, "healthy");
  ASSERT_EQ(kube_->sandbox().cluster().instances.size(), 2U);
  const std::string pod_prefix = GetParam().cluster + "-";
  const int first = old_primary == pod_prefix + "0" ? 0 : 1;  // the name of ordinal 0
  ASSERT_EQ(old_primary, pod_prefix + std::to_string(first));
  const std::string candidate = pod_prefix + std::to_string(first + 1);

  auto switched = kube_->Kube({"switchover", "--to", candidate, "--timeout", "40s", "--json"});
  ASSERT_EQ(switched.exit_code, 0) << switched.out << switched.err;
  size_t at = switched.out.find('{');
  ASSERT_NE(at, std::string::npos) << switched.out << switched.err;
  json report = json::parse(switched.out.substr(at), nullptr, false);
  ASSERT_TRUE(report.is_object()) << switched.out;
  EXPECT_EQ(report.value("candidate", ""), candidate) << switched.out;
  EXPECT_NE(switched.out.find("prove-writable"), std::string::npos) << switched.out;

  // The operator's own record says so too.
  const bool cnpg = GetParam().engine == platform::EngineKind::kPostgres;
  auto cr = kube_->admin().Get(cnpg ? resources::kCnpgClusters : resources::kMariaDbs, "db",
                               GetParam().cluster);
  ASSERT_TRUE(cr.ok()) << cr.status().ToString();
  EXPECT_EQ(cr->value("/status/currentPrimary"_json_pointer, ""), candidate) << cr->dump();

  auto after = VerdictAndPrimary();
  EXPECT_EQ(after, std::make_pair(std::string("healthy"), candidate));
  ASSERT_TRUE(kube_->sandbox()
                  .Sql(1,
                       "CREATE SCHEMA sw; CREATE TABLE sw.after_switchover (id int primary key);"
                       "INSERT INTO sw.after_switchover VALUES (42);")
                  .ok());
  EXPECT_TRUE(core::PollUntil(
      [&] {
        auto row = kube_->sandbox().Sql(0, "SELECT id FROM sw.after_switchover;");
        return row.ok() && row->find("42") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << "a write on the new primary did not reach the old one";
}

// HASteward does not take the operator's word for the switch: an operator that promotes the target
// while the old primary still takes writes (the fakes' kPromoteWithoutDemoting) is caught by the
// readings of every instance taken while waiting: exit 5 (split-brain) at step promote or repoint,
// naming both instances, and never left so: one of them is fenced (CloudNativePG: the old primary;
// mariadb-operator: the candidate, since ordinal 0 stops only with every pod), and exactly one
// instance takes writes afterwards.
TEST_P(KubernetesApiOnlyTest, SwitchoverCatchesAnOperatorThatLeavesTwoWritable) {
  if (auto* cnpg = kube_->cnpg_instance_manager(); cnpg != nullptr) {
    cnpg->SetSwitchoverModeForTest(FakeSwitchoverMode::kPromoteWithoutDemoting);
  } else {
    kube_->mariadb_operator()->SetSwitchoverModeForTest(
        FakeSwitchoverMode::kPromoteWithoutDemoting);
  }
  auto [verdict_before, old_primary] = VerdictAndPrimary();
  ASSERT_EQ(verdict_before, "healthy");
  const std::string pod_prefix = GetParam().cluster + "-";
  const int first = old_primary == pod_prefix + "0" ? 0 : 1;
  const std::string candidate = pod_prefix + std::to_string(first + 1);

  auto switched = kube_->Kube({"switchover", "--to", candidate, "--timeout", "20s", "--json"});
  EXPECT_EQ(switched.exit_code, 5) << switched.out << switched.err;
  size_t at = switched.out.find('{');
  ASSERT_NE(at, std::string::npos) << switched.out << switched.err;
  json report = json::parse(switched.out.substr(at), nullptr, false);
  ASSERT_TRUE(report.is_object()) << switched.out;
  const std::string failed = report.value("failed_step", "");
  EXPECT_TRUE(failed == "promote" || failed == "repoint") << switched.out;
  const std::string message = report["error"].value("message", "");
  EXPECT_NE(message.find(old_primary), std::string::npos) << message;
  EXPECT_NE(message.find(candidate), std::string::npos) << message;
  const std::string fenced =
      GetParam().engine == platform::EngineKind::kPostgres ? old_primary : candidate;
  EXPECT_NE(message.find("fenced '" + fenced + "'"), std::string::npos) << message;
  // The old primary is the sandbox's ordinal 0, the candidate its ordinal 1.
  EXPECT_EQ(WritableOrdinals(), std::vector<int>{fenced == old_primary ? 1 : 0}) << message;
}

// mariadb-operator reads the old primary's position once, after read_only, and a writer whose
// account bypasses read_only keeps committing there until the operator's Service moves (the real
// operator lost an acknowledged commit so: docs/kubernetes.md). HASteward fences the old primary
// itself before asking (engine/mariadb/operator_handover.h). An application account granted ALL
// PRIVILEGES (READ ONLY ADMIN included) writes on the old primary throughout, as through a
// Service that still points there, and on the other instance once that one takes writes: the
// switchover takes its privilege and sessions first, and no acknowledged id is lost.
class KubernetesApiOnlyMariadbTest : public KubernetesApiOnlyTest {};

TEST_P(KubernetesApiOnlyMariadbTest,
       OperatorSwitchoverUnderAWriterThatBypassesReadOnlyLosesNothing) {
  auto [verdict_before, old_primary] = VerdictAndPrimary();
  ASSERT_EQ(verdict_before, "healthy");
  ASSERT_EQ(old_primary, GetParam().cluster + "-0");
  const std::string candidate = GetParam().cluster + "-1";
  ASSERT_TRUE(kube_->sandbox()
                  .Sql(0,
                       "CREATE DATABASE IF NOT EXISTS app; CREATE TABLE app.ids (seq BIGINT "
                       "AUTO_INCREMENT PRIMARY KEY, id BIGINT); CREATE USER 'direct'@'%' "
                       "IDENTIFIED BY 'direct-secret'; GRANT ALL PRIVILEGES ON *.* TO "
                       "'direct'@'%';")
                  .ok());
  MariadbSetWriter::Options options;
  for (int ordinal = 0; ordinal < 2; ++ordinal) {
    const platform::Instance& instance = kube_->sandbox().instance(ordinal);
    options.endpoints.emplace_back(instance.host, instance.port);
  }
  options.user = "direct";
  options.password = "direct-secret";
  options.table = "app.ids";
  MariadbSetWriter writer(options);
  writer.Start();
  ASSERT_TRUE(writer.WaitForAcknowledged(50, std::chrono::seconds(30)));

  auto switched = kube_->Kube({"switchover", "--to", candidate, "--timeout", "40s", "--json"});
  ASSERT_EQ(switched.exit_code, 0) << switched.out << switched.err;
  EXPECT_NE(switched.out.find("'direct'@'%'"), std::string::npos) << switched.out;
  EXPECT_TRUE(writer.WaitForAcknowledged(20, std::chrono::seconds(30)))
      << "the writer made no progress on the new primary";
  writer.Stop();

  auto stored = kube_->sandbox().Sql(1, "SELECT id FROM app.ids");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  SetCheck check = CheckSet(writer.acknowledged(), *stored);
  std::printf("operator switchover under a bypassing writer: %ld acknowledged, %ld lost\n",
              check.acknowledged, check.lost);
  EXPECT_EQ(check.lost, 0);
  EXPECT_EQ(check.duplicated, 0);
  // The revoke replicated: the account writes through read_only on no instance any more.
  for (int ordinal = 0; ordinal < 2; ++ordinal) {
    auto bypass = kube_->sandbox().Sql(
        ordinal,
        "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = "
        "\"'direct'@'%'\" AND PRIVILEGE_TYPE = 'READ_ONLY ADMIN'");
    ASSERT_TRUE(bypass.ok()) << bypass.status().ToString();
    EXPECT_EQ(bypass->substr(0, 1), "0") << "instance " << ordinal;
  }
}

// `restore --until-lsn` of a CloudNativePG cluster from the isolated namespace: the base and the
// archived WAL reach the stopped pod only through exec, the server replays to the position and is
// promoted, and the other instance is re-cloned from it. The archive and the base are set up from
// the root namespace through the local platform (the servers push over HTTP there); the commands
// under test read the same repository as a directory. PostgreSQL only: MariaDB's binlog replay
// still refuses on this platform.
class KubernetesApiOnlyPitrTest : public KubernetesApiOnlyTest {
 protected:
  // The archive and a native base, set up from the root namespace through the local platform;
  // returns the repository's password file the servers read (readable by their OS user), "" after
  // a failed expectation.
  std::string ArchiveAndBackUp() {
    HastewardEnv& env = kube_->env();
    auto server = RestTestServer::Start(env.Path("rest"));
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (!server.ok()) {
      return "";
    }
    rest_ = std::move(server).value();
    auto password = WriteServerPasswordFile(env.Path("server-password"), env.password(),
                                            kube_->sandbox().instance(0).os_user);
    EXPECT_TRUE(password.ok()) << password.status().ToString();
    if (!password.ok()) {
      return "";
    }
    EXPECT_TRUE(kube_->LoadShopDataset().ok());
    env.SetCommandPrefix({});
    env.UseRepository(rest_->Location("repo/"));
    EXPECT_EQ(env.Run({"repo", "init"}).exit_code, 0);
    // Only the relay to the API server listens inside the namespace: the setup reaches the same
    // instances as plain local processes.
    auto enabled = kube_->Local({"archive", "enable", "--password-file", *password});
    EXPECT_EQ(enabled.exit_code, 0) << enabled.out << enabled.err;
    auto backup = kube_->Local({"backup", "--method", "native", "--json"});
    EXPECT_EQ(backup.exit_code, 0) << backup.out << backup.err;
    return enabled.exit_code == 0 && backup.exit_code == 0 ? *password : "";
  }

  // A value the shop database answers on instance 0 ("" after a failed expectation).
  std::string Sql(const std::string& text) {
    auto value = kube_->ShopValue(text);
    EXPECT_TRUE(value.ok()) << value.status().ToString() << " for " << text;
    return value.ok() ? *value : std::string();
  }

  // Switches to a new WAL segment and waits until the server archived the one it closed.
  void SwitchAndWaitArchived() {
    core::Status archived =
        SwitchWalAndWaitArchived([this](const std::string& text) { return Sql(text); });
    ASSERT_TRUE(archived.ok()) << archived.ToString();
  }

  // Whether the operator's account ran the WAL's untar in a pod (the audit log has an exec once
  // its stream ended, which may be just after the CLI exited).
  bool WalWentThroughPodExec() {
    return core::PollUntil(
        [&] {
          auto commands = ExecCommandsOf(kube_->operator_api().OperatorRequests());
          return std::any_of(commands.begin(), commands.end(), [](const auto& c) {
            return std::find(c.begin(), c.end(), "hasteward-untar-wal") != c.end();
          });
        },
        std::chrono::seconds(10));
  }
};

TEST_P(KubernetesApiOnlyPitrTest, PointInTimeRestoreStreamsBaseAndWalThroughTheApi) {
  HastewardEnv& env = kube_->env();
  ASSERT_FALSE(ArchiveAndBackUp().empty());

  auto sql = [&](const std::string& text) {
    return Sql(text);
  };
  auto at_base = kube_->ShopChecksums();
  ASSERT_TRUE(at_base.ok()) << at_base.status().ToString();
  sql("DELETE FROM orders WHERE id % 3 = 0");
  // The insert position: the sandbox commits asynchronously (synchronous_commit = off), so the
  // write position pg_current_wal_lsn() reports may still lie before the commit record.
  const std::string target = sql("SELECT pg_current_wal_insert_lsn()");
  auto at_target = kube_->ShopChecksums();
  ASSERT_TRUE(at_target.ok()) << at_target.status().ToString();
  sql("DELETE FROM items WHERE id < 50");
  auto past_target = kube_->ShopChecksums();
  ASSERT_TRUE(past_target.ok()) << past_target.status().ToString();
  ASSERT_NE(*past_target, *at_target) << "the write after the target must show";
  SwitchAndWaitArchived();

  env.SetCommandPrefix(netns_->EnterPrefix());
  env.UseRepository(env.Path("rest/repo"));
  auto stopped = kube_->Kube({"instance", "stop", "-i", "0"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  // No --password-file: the pod's replay copies the streamed WAL, it never runs wal-fetch.
  auto restored = kube_->Kube({"restore", "--until-lsn", target, "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_TRUE(WalWentThroughPodExec()) << "the WAL did not go through pod exec";
  auto after = kube_->ShopChecksums(0);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, *at_target) << "the base held " << *at_base << ", past the target "
                                << *past_target << "\n"
                                << restored.out << restored.err;
  EXPECT_TRUE(core::PollUntil(
      [&] {
        auto other = kube_->ShopChecksums(1);
        return other.ok() && *other == *at_target;
      },
      std::chrono::seconds(60)))
      << "the other instance was not re-cloned from the restored one";
}

INSTANTIATE_TEST_SUITE_P(
    Operators, KubernetesApiOnlyTest,
    ::testing::Values(ApiOnlyCase{platform::EngineKind::kPostgres, "pg", "pgdumpall.sql",
                                  "PostgreSQL database cluster dump complete"},
                      ApiOnlyCase{platform::EngineKind::kMariadb, "maria", "mysqldump.sql",
                                  "-- Dump completed", true}),
    [](const ::testing::TestParamInfo<ApiOnlyCase>& param) { return param.param.cluster; });

INSTANTIATE_TEST_SUITE_P(Operators, KubernetesApiOnlyMariadbTest,
                         ::testing::Values(ApiOnlyCase{platform::EngineKind::kMariadb, "maria",
                                                       "mysqldump.sql", "-- Dump completed", true}),
                         [](const ::testing::TestParamInfo<ApiOnlyCase>& param) {
                           return param.param.cluster;
                         });

// A DR activation into the pods (`standby activate`; its template the published cluster, its source
// the cluster's archive, as after a fail-over to a site that archived into this repository): the
// base and every archived segment reach the stopped pod through exec, the server replays to the
// end of the archive, the proof reads the newest segment again inside the pod (its exec does not
// start in the data directory), and the cluster holds what the last archived segment held. Until
// issue 51 an activation into pods was refused (exit 2) before anything changed.
TEST_P(KubernetesApiOnlyPitrTest, ADrActivationReplaysTheWholeArchiveIntoThePodsThroughTheApi) {
  HastewardEnv& env = kube_->env();
  const std::string password_file = ArchiveAndBackUp();
  ASSERT_FALSE(password_file.empty());
  Sql("DELETE FROM orders WHERE id % 7 = 0");
  Sql("UPDATE items SET name = name || ' (after the base)' WHERE id < 20");
  SwitchAndWaitArchived();
  auto at_end = kube_->ShopChecksums();
  ASSERT_TRUE(at_end.ok()) << at_end.status().ToString();

  env.SetCommandPrefix(netns_->EnterPrefix());
  env.UseRepository(env.Path("rest/repo"));
  const std::string name = GetParam().cluster;
  const std::string config =
      WriteFile(env.Path("standby.yaml"),
                "standbys:\n"
                "- name: shop-dr\n"
                "  source:\n"
                "    repository: " +
                    env.Path("rest/repo") + "\n    passwordFile: " + password_file +
                    "\n    cluster: {engine: cnpg, namespace: db, name: " + name +
                    "}\n"
                    "  template: {engine: cnpg, instances: 2, platform: kubernetes, namespace: db, "
                    "name: " +
                    name +
                    "}\n"
                    "  activation: {acceptUnverified: true}\n");
  // CloudNativePG's instances are fenced by their user before a restore replaces one.
  auto stopped = kube_->Kube({"instance", "stop", "-i", "0"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  auto activated = env.Run({"standby", "activate", "shop-dr", "--config", config, "--confirm",
                            "2026-11-29T00:00:00Z", "--json"});
  ASSERT_EQ(activated.exit_code, 0) << activated.out << activated.err;
  EXPECT_TRUE(WalWentThroughPodExec()) << "the WAL did not go through pod exec";
  auto after = kube_->ShopChecksums(0);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, *at_end) << activated.out << activated.err;
  EXPECT_NE(activated.out.find("Activated"), std::string::npos) << activated.out;
}

INSTANTIATE_TEST_SUITE_P(
    Operators, KubernetesApiOnlyPitrTest,
    ::testing::Values(ApiOnlyCase{platform::EngineKind::kPostgres, "pg", "pgdumpall.sql",
                                  "PostgreSQL database cluster dump complete"}),
    [](const ::testing::TestParamInfo<ApiOnlyCase>& param) { return param.param.cluster; });

}  // namespace
}  // namespace hasteward::testing
