// StandbyCluster resources (deploy/crds/standbyclusters.yaml) mapped to the dr::StandbySpec a
// config-file standby gives, with the password and S3 credentials from Secrets, and every invalid
// spec refused with the resource and field named.
#include "operator/standby/standby_crd_specs.h"

#include <gtest/gtest.h>

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace standby_crd_specs_test {
namespace {

using nlohmann::json;
using platform::OperatorResourceKind;

// deploy/examples/standby-cluster.yaml's spec.
json ExampleSpec() {
  return {
      {"source",
       {{"repository", "s3:https://rgw.example/shop-backups"},
        {"probe", "10.0.0.5:5432"},
        {"passwordSecretRef", {{"name", "shop-repo"}, {"namespace", "dr"}}},
        {"s3CredentialsSecretRef", {{"name", "shop-s3"}, {"namespace", "dr"}}},
        {"cluster", {{"engine", "cnpg"}, {"namespace", "pt"}, {"name", "shop"}}}}},
      {"template", {{"engine", "cnpg"}, {"instances", 2}, {"namespace", "dr"}, {"name", "shop"}}},
      {"freshness",
       {{"discoveryInterval", "2m"},
        {"verifySchedule", "0 4 * * *"},
        {"maxStaleness", "12h"},
        {"suspend", false}}},
      {"activation",
       {{"pointInTime", "2026-11-22T10:00:00Z"},
        {"acceptUnverified", true},
        {"restoreTimeout", "90m"}}},
      {"cursor", {{"ttl", "30m"}, {"write", true}}}};
}

platform::OperatorResource Resource(json spec) {
  return {OperatorResourceKind::kStandbyCluster, "shop-dr", 4, std::move(spec)};
}

// Answers ReadSecret from a map; every other member is unused here.
class SecretsOnly : public platform::OperatorResources {
 public:
  core::Result<std::vector<platform::OperatorResource>> List(OperatorResourceKind) override {
    return std::vector<platform::OperatorResource>{};
  }
  bool TakeChange() override { return false; }
  core::Result<std::map<std::string, std::string>> ReadSecret(const std::string& ns,
                                                              const std::string& name) override {
    auto found = secrets.find(ns + "/" + name);
    if (found == secrets.end())
      return core::NotFound("secret '" + ns + "/" + name + "' not found");
    return found->second;
  }
  core::Status WriteStatus(OperatorResourceKind, const std::string&, const json&) override {
    return core::Status::Ok();
  }
  std::map<std::string, std::map<std::string, std::string>> secrets;
};

TEST(StandbyCrdSpecsTest, TheExampleMapsFieldForFieldLikeAConfigFileStandby) {
  auto standby = StandbyFromResource(Resource(ExampleSpec()));
  ASSERT_TRUE(standby.ok()) << standby.status().ToString();
  const dr::StandbySpec& spec = standby->spec;
  EXPECT_EQ(spec.name, "shop-dr");
  EXPECT_EQ(spec.source.repository, "s3:https://rgw.example/shop-backups");
  EXPECT_EQ(spec.source.probe, "10.0.0.5:5432");
  EXPECT_EQ(spec.source.password_file, "");  // the Secret, never a file
  EXPECT_EQ(spec.source.s3_credentials_file, "");
  EXPECT_EQ(spec.source.engine, platform::EngineKind::kPostgres);
  EXPECT_EQ(spec.source.ns + "/" + spec.source.name, "pt/shop");
  EXPECT_EQ(spec.cluster_template.instances, 2);
  EXPECT_EQ(spec.cluster_template.ns + "/" + spec.cluster_template.name, "dr/shop");
  EXPECT_EQ(spec.freshness.discovery_interval, std::chrono::minutes(2));
  EXPECT_EQ(spec.freshness.verify_schedule, "0 4 * * *");
  EXPECT_EQ(spec.freshness.max_staleness, std::chrono::hours(12));
  EXPECT_EQ(spec.activation.point_in_time, "2026-11-22T10:00:00Z");
  EXPECT_TRUE(spec.activation.accept_unverified);
  EXPECT_EQ(spec.activation.restore_timeout, std::chrono::minutes(90));
  EXPECT_EQ(spec.cursor.ttl, std::chrono::minutes(30));
  EXPECT_EQ(spec.state_file, "");  // the operator's state dir
  EXPECT_EQ(standby->password.ns + "/" + standby->password.name + ":" + standby->password.key,
            "dr/shop-repo:password");
  ASSERT_TRUE(standby->s3_credentials.has_value());
  EXPECT_EQ(standby->s3_credentials->name, "shop-s3");
}

TEST(StandbyCrdSpecsTest, DefaultsAreTheDeclarationsDefaults) {
  json spec = ExampleSpec();
  spec.erase("freshness");
  spec.erase("activation");
  spec.erase("cursor");
  spec["source"].erase("s3CredentialsSecretRef");
  auto standby = StandbyFromResource(Resource(spec));
  ASSERT_TRUE(standby.ok()) << standby.status().ToString();
  EXPECT_EQ(standby->spec.freshness.discovery_interval, std::chrono::minutes(5));
  EXPECT_EQ(standby->spec.freshness.max_staleness, std::chrono::hours(48));
  EXPECT_FALSE(standby->spec.freshness.suspend);
  EXPECT_EQ(standby->spec.activation.restore_timeout, std::chrono::hours(2));
  EXPECT_FALSE(standby->spec.activation.point_in_time.has_value());
  EXPECT_EQ(standby->spec.cursor.ttl, std::chrono::minutes(60));
  EXPECT_TRUE(standby->spec.cursor.write);
  EXPECT_FALSE(standby->s3_credentials.has_value());
}

TEST(StandbyCrdSpecsTest, InvalidResourcesAreRefusedNamingResourceAndField) {
  struct Case {
    std::function<void(json&)> edit;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {[](json& s) { s = json(); }, "must be an object"},
      {[](json& s) { s.erase("source"); }, "source is required"},
      {[](json& s) { s["stateFile"] = "/tmp/x"; }, "unknown field 'stateFile'"},
      {[](json& s) { s["name"] = "other"; }, "unknown field 'name'"},
      {[](json& s) { s["source"]["passwordFile"] = "/etc/pw"; }, "unknown field 'passwordFile'"},
      {[](json& s) { s["source"].erase("passwordSecretRef"); }, "passwordSecretRef is required"},
      {[](json& s) { s["source"]["passwordSecretRef"].erase("namespace"); }, "'namespace'"},
      {[](json& s) { s["source"]["cluster"]["engine"] = "oracle"; }, "unknown engine 'oracle'"},
      {[](json& s) { s["source"].erase("repository"); }, "source.repository is required"},
      {[](json& s) { s["freshness"]["maxStaleness"] = "two days"; }, "maxStaleness"},
      {[](json& s) { s["freshness"]["verifySchedule"] = "5m"; }, "five-field cron"},
      {[](json& s) { s["activation"]["pointInTime"] = "yesterday"; }, "RFC 3339"},
      {[](json& s) { s["template"]["instances"] = 0; }, "instances"},
      {[](json& s) { s["cursor"]["ttl"] = "0s"; }, "ttl"},
  };
  for (const auto& c : cases) {
    json spec = ExampleSpec();
    c.edit(spec);
    auto standby = StandbyFromResource(Resource(spec));
    ASSERT_FALSE(standby.ok()) << spec.dump();
    EXPECT_EQ(standby.status().code(), core::ErrorCode::kUsage);
    EXPECT_NE(standby.status().message().find("StandbyCluster 'shop-dr'"), std::string::npos)
        << standby.status().ToString();
    EXPECT_NE(standby.status().message().find(c.mentions), std::string::npos)
        << standby.status().ToString();
  }
}

TEST(StandbyCrdSpecsTest, SecretsAreReadIntoMemory) {
  auto standby = StandbyFromResource(Resource(ExampleSpec()));
  ASSERT_TRUE(standby.ok()) << standby.status().ToString();
  SecretsOnly resources;
  resources.secrets["dr/shop-repo"] = {{"password", "s3cret\n"}};
  resources.secrets["dr/shop-s3"] = {{"AWS_ACCESS_KEY_ID", "id"}, {"AWS_SECRET_ACCESS_KEY", "k"}};
  auto spec = WithSecrets(*standby, resources);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_NE(spec->source.secrets, nullptr);
  EXPECT_EQ(spec->source.secrets->password, "s3cret");  // a trailing newline is not the password
  EXPECT_EQ(spec->source.secrets->env.at("AWS_ACCESS_KEY_ID"), "id");
  EXPECT_EQ(spec->source.secrets->env.size(), 2U);
}

TEST(StandbyCrdSpecsTest, AMissingSecretOrKeyIsNamed) {
  auto standby = StandbyFromResource(Resource(ExampleSpec()));
  ASSERT_TRUE(standby.ok()) << standby.status().ToString();
  SecretsOnly resources;
  auto missing = WithSecrets(*standby, resources);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("dr/shop-repo"), std::string::npos);
  resources.secrets["dr/shop-repo"] = {{"pass", "x"}};
  auto no_key = WithSecrets(*standby, resources);
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.status().message().find("no key 'password'"), std::string::npos)
      << no_key.status().ToString();
}

}  // namespace
}  // namespace standby_crd_specs_test
}  // namespace hasteward::op
