// The standby declaration: defaults, every field read, and bad input named by its field.
#include "dr/standby_spec.h"

#include <gtest/gtest.h>

namespace hasteward::dr {
namespace {

constexpr char kFull[] = R"(
standbys:
- name: shop-dr
  source:
    repository: /srv/repo
    passwordFile: /etc/hs/password
    s3CredentialsFile: /etc/hs/aws
    cluster: {engine: cnpg, namespace: pt, name: shop}
  template: {engine: cnpg, instances: 3, platform: local, namespace: dr, name: shop}
  freshness: {discoveryInterval: 90s, verifySchedule: "0 4 * * *", maxStaleness: 1h30m,
              suspend: true}
  activation: {pointInTime: "2026-11-22T10:00:00Z", acceptUnverified: true, restoreTimeout: 3h}
  stateFile: /tmp/state.json
- name: minimal
  source:
    repository: s3:host/bucket
    passwordFile: /p
    cluster: {engine: mariadb, name: db}
  template: {engine: mariadb, name: db}
)";

std::string Parsed(const std::string& yaml) {
  auto specs = ParseStandbySpecs(yaml, "f.yaml");
  return specs.ok() ? "ok" : specs.status().message();
}

std::string WithStandby(const std::string& body) {
  return "standbys:\n- name: s\n" + body;
}

constexpr char kSource[] =
    "  source: {repository: /r, passwordFile: /p, cluster: {engine: cnpg, name: c}}\n";
constexpr char kTemplate[] = "  template: {engine: cnpg, name: c}\n";

TEST(StandbySpecTest, ReadsEveryField) {
  auto specs = ParseStandbySpecs(kFull, "f.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 2U);
  const StandbySpec& spec = (*specs)[0];
  EXPECT_EQ(spec.name, "shop-dr");
  EXPECT_EQ(spec.source.repository, "/srv/repo");
  EXPECT_EQ(spec.source.password_file, "/etc/hs/password");
  EXPECT_EQ(spec.source.s3_credentials_file, "/etc/hs/aws");
  EXPECT_EQ(spec.source.engine, platform::EngineKind::kPostgres);
  EXPECT_EQ(spec.SourceCluster().ns, "pt");
  EXPECT_EQ(spec.SourceCluster().name, "shop");
  EXPECT_EQ(spec.cluster_template.instances, 3);
  EXPECT_EQ(spec.cluster_template.platform, "local");
  EXPECT_EQ(spec.cluster_template.ns, "dr");
  EXPECT_EQ(spec.freshness.discovery_interval, std::chrono::seconds(90));
  EXPECT_EQ(spec.freshness.verify_schedule, "0 4 * * *");
  EXPECT_EQ(spec.freshness.max_staleness, std::chrono::seconds(5400));
  EXPECT_TRUE(spec.freshness.suspend);
  EXPECT_EQ(spec.activation.point_in_time.value_or(""), "2026-11-22T10:00:00Z");
  EXPECT_TRUE(spec.activation.accept_unverified);
  EXPECT_EQ(spec.activation.restore_timeout, std::chrono::hours(3));
  EXPECT_EQ(StandbyStateFile(spec), "/tmp/state.json");
}

TEST(StandbySpecTest, AppliesTheDefaults) {
  auto specs = ParseStandbySpecs(kFull, "f.yaml");
  ASSERT_TRUE(specs.ok());
  const StandbySpec& spec = (*specs)[1];
  EXPECT_EQ(spec.source.engine, platform::EngineKind::kMariadb);
  EXPECT_EQ(spec.source.ns, "default");
  EXPECT_EQ(spec.source.s3_credentials_file, "");
  EXPECT_EQ(spec.cluster_template.instances, 1);
  EXPECT_EQ(spec.freshness.discovery_interval, std::chrono::minutes(5));
  EXPECT_EQ(spec.freshness.max_staleness, std::chrono::hours(48));
  EXPECT_FALSE(spec.freshness.suspend);
  EXPECT_FALSE(spec.activation.point_in_time.has_value());
  EXPECT_FALSE(spec.activation.accept_unverified);
  EXPECT_EQ(spec.activation.restore_timeout, std::chrono::hours(2));
  EXPECT_NE(StandbyStateFile(spec).find("standby-minimal.json"), std::string::npos);
}

TEST(StandbySpecTest, NamesTheFieldOfBadInput) {
  EXPECT_NE(Parsed(WithStandby(kTemplate)).find("standby 's'.source is required"),
            std::string::npos);
  EXPECT_NE(Parsed(WithStandby("  source: {repository: /r, cluster: {engine: cnpg, name: c}}\n" +
                               std::string(kTemplate)))
                .find("standby 's'.source.passwordFile is required"),
            std::string::npos);
  EXPECT_NE(
      Parsed(WithStandby("  source: {repository: /r, passwordFile: /p, cluster: {engine: oracle, "
                         "name: c}}\n" +
                         std::string(kTemplate)))
          .find("standby 's'.source.cluster.engine: unknown engine 'oracle'"),
      std::string::npos);
  EXPECT_NE(
      Parsed(WithStandby(std::string(kSource) + kTemplate + "  freshness: {maxStaleness: soon}\n"))
          .find("standby 's'.freshness.maxStaleness: 'soon' is not a duration"),
      std::string::npos);
  EXPECT_NE(Parsed(WithStandby(std::string(kSource) + "  template: {engine: cnpg, name: c, "
                                                      "instances: 0}\n"))
                .find("standby 's'.template.instances must be a whole number"),
            std::string::npos);
  EXPECT_NE(Parsed(WithStandby(std::string(kSource) + kTemplate +
                               "  activation: {pointInTime: yesterday}\n"))
                .find("standby 's'.activation.pointInTime: 'yesterday' is not an RFC 3339 time"),
            std::string::npos);
  EXPECT_NE(Parsed(WithStandby(std::string(kSource) + kTemplate + "  freshnes: {}\n"))
                .find("unknown key 'freshnes' in standby 's'"),
            std::string::npos);
  EXPECT_NE(
      Parsed(WithStandby(std::string(kSource) + kTemplate + "  freshness: {verifySchedule: 5m}\n"))
          .find("not a five-field cron expression"),
      std::string::npos);
}

TEST(StandbySpecTest, ReadsTheCursorAndChecksTheNameCanNameIt) {
  auto specs = ParseStandbySpecs(
      WithStandby(std::string(kSource) + kTemplate + "  cursor: {ttl: 2m, write: false}\n"), "f");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  EXPECT_EQ(specs->front().cursor.ttl, std::chrono::minutes(2));
  EXPECT_FALSE(specs->front().cursor.write);
  auto defaults = ParseStandbySpecs(WithStandby(std::string(kSource) + kTemplate), "f");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->front().cursor.ttl, std::chrono::minutes(60));
  EXPECT_TRUE(defaults->front().cursor.write);
  EXPECT_NE(Parsed("standbys:\n- name: Shop_DR\n" + std::string(kSource) + kTemplate)
                .find("standby 'Shop_DR'.name: standby name 'Shop_DR' cannot name a cursor"),
            std::string::npos);
  EXPECT_NE(Parsed(WithStandby(std::string(kSource) + kTemplate + "  cursor: {ttl: never}\n"))
                .find("standby 's'.cursor.ttl: 'never' is not a duration"),
            std::string::npos);
}

TEST(StandbySpecTest, RejectsDuplicateNamesAndAnEmptyFile) {
  std::string one = "- name: s\n" + std::string(kSource) + kTemplate;
  EXPECT_NE(Parsed("standbys:\n" + one + one).find("'s' is declared twice"), std::string::npos);
  EXPECT_NE(Parsed("standbys: []\n").find("declares no standbys"), std::string::npos);
  EXPECT_NE(Parsed("standbys: [").find("standby file 'f.yaml'"), std::string::npos);
}

TEST(StandbySpecTest, ParsesDurations) {
  EXPECT_EQ(*ParseSpecDuration("f", "90"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseSpecDuration("f", "5m"), std::chrono::minutes(5));
  EXPECT_EQ(*ParseSpecDuration("f", "1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(*ParseSpecDuration("f", "2d"), std::chrono::hours(48));
  EXPECT_FALSE(ParseSpecDuration("f", "0s").ok());
  EXPECT_FALSE(ParseSpecDuration("f", "5x").ok());
  EXPECT_FALSE(ParseSpecDuration("f", "m").ok());
  EXPECT_FALSE(ParseSpecDuration("f", "").ok());
}

TEST(StandbySpecTest, ReadsTheSourceProbeAsHostAndPort) {
  auto specs = ParseStandbySpecs(
      WithStandby("  source: {repository: /r, passwordFile: /p, probe: 10.0.0.5:5432, cluster: "
                  "{engine: cnpg, name: c}}\n" +
                  std::string(kTemplate)),
      "f.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  EXPECT_EQ(specs->front().source.probe, "10.0.0.5:5432");
  EXPECT_NE(Parsed(WithStandby("  source: {repository: /r, passwordFile: /p, probe: db.example, "
                               "cluster: {engine: cnpg, name: c}}\n" +
                               std::string(kTemplate)))
                .find("standby 's'.source.probe: 'db.example' is not host:port"),
            std::string::npos);
}

TEST(StandbySpecTest, ReadsTheProbeCredentialsBesideTheProbeAddress) {
  auto specs = ParseStandbySpecs(
      WithStandby("  source: {repository: /r, passwordFile: /p, probe: 10.0.0.5:5432, "
                  "probeCredentials: {user: hs_probe, passwordFile: /etc/hs/probe}, cluster: "
                  "{engine: cnpg, name: c}}\n" +
                  std::string(kTemplate)),
      "f.yaml");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  EXPECT_EQ(specs->front().source.probe_credentials.user, "hs_probe");
  EXPECT_EQ(specs->front().source.probe_credentials.password.file, "/etc/hs/probe");
  // Without them the probe stays a TCP check.
  auto bare = ParseStandbySpecs(WithStandby(kSource + std::string(kTemplate)), "f.yaml");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_TRUE(bare->front().source.probe_credentials.user.empty());
}

TEST(StandbySpecTest, RefusesProbeCredentialsThatAreIncompleteOrHaveNoProbe) {
  EXPECT_NE(Parsed(WithStandby("  source: {repository: /r, passwordFile: /p, probeCredentials: "
                               "{user: u, passwordFile: /q}, cluster: {engine: cnpg, name: c}}\n" +
                               std::string(kTemplate)))
                .find("standby 's'.source.probeCredentials is declared without source.probe"),
            std::string::npos);
  EXPECT_NE(Parsed(WithStandby("  source: {repository: /r, passwordFile: /p, probe: h:5432, "
                               "probeCredentials: {user: u}, cluster: {engine: cnpg, name: c}}\n" +
                               std::string(kTemplate)))
                .find("standby 's'.source.probeCredentials.passwordFile is required"),
            std::string::npos);
  EXPECT_NE(Parsed(WithStandby("  source: {repository: /r, passwordFile: /p, probe: h:5432, "
                               "probeCredentials: {passwordFile: /q}, cluster: {engine: cnpg, "
                               "name: c}}\n" +
                               std::string(kTemplate)))
                .find("standby 's'.source.probeCredentials.user is required"),
            std::string::npos);
  EXPECT_NE(Parsed(WithStandby("  source: {repository: /r, passwordFile: /p, probe: h:5432, "
                               "probeCredentials: {user: u, password: x}, cluster: {engine: cnpg, "
                               "name: c}}\n" +
                               std::string(kTemplate)))
                .find("unknown key 'password' in standby 's'.source.probeCredentials"),
            std::string::npos);
}

}  // namespace
}  // namespace hasteward::dr
