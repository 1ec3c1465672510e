#include "operator/config.h"

#include <gtest/gtest.h>

namespace hasteward::op {
namespace {

constexpr char kConfig[] = R"(
repositories:
  - name: local
    repository: /backups/local
    passwordFile: /etc/pw
policies:
  - name: default
    backupSchedule: "0 2 * * *"
    triageSchedule: "*/15 * * * *"
    verifySchedule: "0 4 * * *"
    mode: repair
    repositories: [local]
    retention: {keepLast: 7, keepDaily: 30}
clusters:
  - {namespace: shop, name: pg, policy: default}
  - {namespace: shop, name: maria, policy: default, backupSchedule: "0 3 * * *", mode: triage}
  - {namespace: shop, name: old, policy: default, exclude: true}
)";

TEST(ServeConfigTest, AppliesPolicyAndOverrides) {
  auto c = ParseServeConfig(kConfig, "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto clusters = ResolveClusters(*c);
  ASSERT_TRUE(clusters.ok());
  ASSERT_EQ(clusters->size(), 2u) << "excluded clusters are not managed";
  const auto& pg = (*clusters)[0];
  EXPECT_EQ(pg.Key(), "shop/pg");
  EXPECT_EQ(pg.backup_schedule, "0 2 * * *");
  EXPECT_EQ(pg.verify_schedule, "0 4 * * *");
  EXPECT_EQ(pg.mode, "repair");
  ASSERT_EQ(pg.repositories.size(), 1u);
  EXPECT_EQ(pg.repositories[0].location, "/backups/local");
  EXPECT_EQ(pg.retention.keep_last, 7);
  EXPECT_EQ(pg.retention.keep_daily, 30);
  const auto& maria = (*clusters)[1];
  EXPECT_EQ(maria.backup_schedule, "0 3 * * *");
  EXPECT_EQ(maria.mode, "triage");
}

// Discovery lists every namespace unless the config names one (an operator in its own namespace
// serves the databases of the others).
TEST(ServeConfigTest, DiscoveryListsEveryNamespaceUnlessOneIsNamed) {
  auto every = ParseServeConfig("discovery: {annotations: true}", "every.yaml");
  ASSERT_TRUE(every.ok()) << every.status().ToString();
  EXPECT_TRUE(every->discovery.annotations);
  EXPECT_EQ(every->discovery.ns, "");
  auto one = ParseServeConfig("discovery: {annotations: true, namespace: shop}", "one.yaml");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->discovery.ns, "shop");
  EXPECT_EQ(ParseServeConfig("discovery: {namespaces: [shop]}", "bad.yaml").status().code(),
            core::ErrorCode::kUsage);
}

core::ErrorCode ErrorOf(const std::string& yaml) {
  return ParseServeConfig(yaml, "bad.yaml").status().code();
}

TEST(ServeConfigTest, RejectsBadInput) {
  EXPECT_EQ(ErrorOf("clusters: [{name: a, policy: nope}]"), core::ErrorCode::kUsage);
  EXPECT_EQ(ErrorOf("policies: [{name: default, mode: fix}]\nclusters: [{name: a}]"),
            core::ErrorCode::kUsage);
  EXPECT_EQ(ErrorOf("policies: [{name: default, backupSchedule: '61 * * * *', repositories: [r]}]\n"
                    "repositories: [{name: r, path: /x}]\nclusters: [{name: a}]"),
            core::ErrorCode::kUsage);
  EXPECT_EQ(ErrorOf("policies: [{name: default, backupSchedule: '* * * * *', repositories: [r]}]\n"
                    "clusters: [{name: a}]"),
            core::ErrorCode::kUsage);
  EXPECT_EQ(ErrorOf("bogus: 1"), core::ErrorCode::kUsage);
  EXPECT_EQ(ErrorOf("policies: [{name: default}]\nclusters: [{name: a}, {name: a}]"),
            core::ErrorCode::kUsage);
  EXPECT_EQ(ErrorOf("[unclosed"), core::ErrorCode::kUsage);
}

TEST(ServeConfigTest, PlatformIsOptionalAndMustBeRegistered) {
  auto local = ParseServeConfig("platform: local\nclusters: []", "p.yaml");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ(local->platform, "local");
  auto unset = ParseServeConfig("clusters: []", "p.yaml");
  ASSERT_TRUE(unset.ok()) << unset.status().ToString();
  EXPECT_EQ(unset->platform, "");
  auto bad = ParseServeConfig("platform: mainframe\nclusters: []", "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(bad.status().message().find("'mainframe'"), std::string::npos);
  EXPECT_NE(bad.status().hint().find("local"), std::string::npos) << bad.status().hint();
}

TEST(ServeConfigTest, LeaderElectionDefaultsToClientGoAndIsConfigurable) {
  auto defaults = ParseServeConfig("clusters: []", "p.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->leader_election.lease_name, "hasteward-leader");
  EXPECT_EQ(defaults->leader_election.lease_duration, std::chrono::seconds(15));
  EXPECT_EQ(defaults->leader_election.renew_deadline, std::chrono::seconds(10));
  EXPECT_EQ(defaults->leader_election.retry_period, std::chrono::seconds(2));
  auto fast = ParseServeConfig(
      "leaderElection: {leaseName: l, namespace: ops, leaseDurationSeconds: 3,"
      " renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5}\nclusters: []",
      "p.yaml");
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  EXPECT_EQ(fast->leader_election.lease_name, "l");
  EXPECT_EQ(fast->leader_election.ns, "ops");
  EXPECT_EQ(fast->leader_election.retry_period, std::chrono::milliseconds(500));
  // A renew deadline as long as the lease would let two replicas act at once.
  auto unsafe = ParseServeConfig(
      "leaderElection: {leaseDurationSeconds: 10, renewDeadlineSeconds: 10}\nclusters: []",
      "p.yaml");
  EXPECT_EQ(unsafe.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(unsafe.status().message().find("renew deadline"), std::string::npos);
  EXPECT_EQ(ErrorOf("leaderElection: {leaseSeconds: 3}\nclusters: []"), core::ErrorCode::kUsage);
}

TEST(ServeConfigTest, PitrComesFromThePolicyAndAClusterMayOverrideIt) {
  auto c = ParseServeConfig(
      "repositories: [{name: r, path: /x}]\n"
      "policies: [{name: default, pitr: true, repositories: [r]}]\n"
      "pitrStatusSeconds: 2.5\n"
      "clusters: [{name: a}, {name: b, pitr: false}]",
      "p.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pitr_status_refresh, std::chrono::milliseconds(2500));
  auto clusters = ResolveClusters(*c);
  ASSERT_TRUE(clusters.ok());
  EXPECT_TRUE((*clusters)[0].pitr);
  EXPECT_FALSE((*clusters)[1].pitr);
  EXPECT_EQ(ParseServeConfig("policies: [{name: p}]\nclusters: [{name: a, policy: p, pitr: true}]",
                             "p.yaml")
                .status()
                .code(),
            core::ErrorCode::kUsage)
      << "the archive needs a repository";
  EXPECT_EQ(ErrorOf("pitrStatusSeconds: 0\nclusters: []"), core::ErrorCode::kUsage);
}

TEST(ServeConfigTest, PitrSyncComesFromThePolicyAndNeedsPitr) {
  auto c = ParseServeConfig(
      "repositories: [{name: r, path: /x}]\n"
      "policies: [{name: default, pitr: true, pitrSync: true, repositories: [r]}]\n"
      "clusters: [{name: a}, {name: b, pitrSync: false}]",
      "p.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto clusters = ResolveClusters(*c);
  ASSERT_TRUE(clusters.ok()) << clusters.status().ToString();
  EXPECT_TRUE((*clusters)[0].pitr_sync);
  EXPECT_FALSE((*clusters)[1].pitr_sync);
  EXPECT_EQ(ErrorOf("repositories: [{name: r, path: /x}]\n"
                    "policies: [{name: default, repositories: [r]}]\n"
                    "clusters: [{name: a, pitrSync: true}]"),
            core::ErrorCode::kUsage)
      << "the receiver stores into the archive: pitr must be on";
}

TEST(ServeConfigTest, TheBackupMethodComesFromThePolicyAndAClusterMayOverrideIt) {
  auto c = ParseServeConfig(
      "repositories: [{name: r, path: /x}]\n"
      "policies: [{name: default, backupMethod: native, repositories: [r]}, {name: plain}]\n"
      "clusters: [{name: a}, {name: b, backupMethod: dump}, {name: c, policy: plain}]",
      "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto clusters = ResolveClusters(*c);
  ASSERT_TRUE(clusters.ok()) << clusters.status().ToString();
  EXPECT_EQ((*clusters)[0].backup_method, BackupMethod::kNative);
  EXPECT_EQ((*clusters)[1].backup_method, BackupMethod::kDump);
  EXPECT_EQ((*clusters)[2].backup_method, BackupMethod::kUnset) << "the backup command decides";
  auto bad = ParseServeConfig("policies: [{name: p, backupMethod: physical}]", "m.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(bad.status().message().find("policy 'p'"), std::string::npos) << bad.status().message();
  EXPECT_EQ(ErrorOf("clusters: [{name: a, backupMethod: logical}]"), core::ErrorCode::kUsage);
}

TEST(ServeConfigTest, WalAgentDirIsTheDefaultUnsetAndEmptyTurnsAgentsOff) {
  auto unset = ParseServeConfig("clusters: []", "p.yaml");
  ASSERT_TRUE(unset.ok()) << unset.status().ToString();
  EXPECT_FALSE(unset->wal_agent_dir.has_value()) << "serve uses <state dir>/wal-agent";
  auto set = ParseServeConfig("walAgentDir: /run/hs-agents\nclusters: []", "p.yaml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->wal_agent_dir, "/run/hs-agents");
  auto off = ParseServeConfig("walAgentDir: \"\"\nclusters: []", "p.yaml");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->wal_agent_dir, "");
}

TEST(ServeConfigTest, MessagesNameTheProblem) {
  auto c = ParseServeConfig("clusters: [{name: a, policy: nope}]", "x.yaml");
  EXPECT_NE(c.status().message().find("'nope'"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("x.yaml"), std::string::npos) << c.status().message();
}

TEST(ServeConfigTest, StandbysAreStandbyDeclarationsReadByTheirOwnParser) {
  auto c = ParseServeConfig(R"(
standbys:
- name: shop-dr
  source:
    repository: /srv/repo
    passwordFile: /etc/pw
    cluster: {engine: cnpg, namespace: pt, name: shop}
  template: {engine: cnpg, namespace: dr, name: shop}
  freshness: {discoveryInterval: 30s}
- name: off
  source:
    repository: /srv/repo
    passwordFile: /etc/pw
    cluster: {engine: cnpg, namespace: pt, name: shop}
  template: {engine: cnpg, namespace: dr, name: shop2}
  freshness: {suspend: true}
)",
                            "serve.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->standbys.size(), 2U);
  EXPECT_EQ(c->standbys[0].name, "shop-dr");
  EXPECT_EQ(c->standbys[0].freshness.discovery_interval, std::chrono::seconds(30));
  EXPECT_EQ(c->standbys[1].freshness.discovery_interval, std::chrono::minutes(5));
  EXPECT_TRUE(c->standbys[1].freshness.suspend);
  EXPECT_TRUE(ParseServeConfig("clusters: []\n", "serve.yaml")->standbys.empty());
  // The declaration's own checks apply, naming the config.
  auto bad = ParseServeConfig("standbys:\n- name: x\n  source: {repository: /r}\n", "serve.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(bad.status().message().find("serve.yaml"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace hasteward::op
