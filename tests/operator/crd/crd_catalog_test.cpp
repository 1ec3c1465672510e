// The catalog of BackupPolicy/BackupRepository resources: usable ones mapped with their Secrets
// read into memory, unusable ones reported with a reason, a failed listing changing nothing, and
// the merge in which the config file wins.
#include "operator/crd/crd_catalog.h"

#include <gtest/gtest.h>

namespace hasteward::op {
namespace {

using nlohmann::json;
using platform::OperatorResourceKind;

// In-memory operator resources; `fail_list` makes listing fail as an unreachable API would.
class FakeOperatorResources : public platform::OperatorResources {
 public:
  core::Result<std::vector<platform::OperatorResource>> List(OperatorResourceKind kind) override {
    if (fail_list)
      return core::Status(core::ErrorCode::kUnreachable, "the API server is away");
    std::vector<platform::OperatorResource> out;
    for (const auto& r : items) {
      if (r.kind == kind)
        out.push_back(r);
    }
    return out;
  }
  bool TakeChange() override { return false; }
  core::Result<std::map<std::string, std::string>> ReadSecret(const std::string& ns,
                                                              const std::string& name) override {
    auto found = secrets.find(ns + "/" + name);
    if (found == secrets.end())
      return core::NotFound("secret '" + ns + "/" + name + "' not found");
    return found->second;
  }
  core::Status WriteStatus(OperatorResourceKind /*kind*/, const std::string& /*name*/,
                           const json& /*status*/) override {
    return core::Status::Ok();
  }

  std::vector<platform::OperatorResource> items;
  std::map<std::string, std::map<std::string, std::string>> secrets;
  bool fail_list = false;
};

platform::OperatorResource Repository(const std::string& name, const std::string& secret) {
  return {OperatorResourceKind::kBackupRepository,
          name,
          2,
          {{"restic",
            {{"repository", "/backups/" + name},
             {"passwordSecretRef", {{"name", secret}, {"namespace", "db"}}},
             {"envSecretRef", {{"name", "s3"}, {"namespace", "db"}}}}}}};
}

platform::OperatorResource Policy(const std::string& name, json spec) {
  return {OperatorResourceKind::kBackupPolicy, name, 1, std::move(spec)};
}

class CrdCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.secrets["db/restic"] = {{"password", "s3cr3t"}};
    fake_.secrets["db/s3"] = {{"AWS_ACCESS_KEY_ID", "AKIA"}, {"AWS_SECRET_ACCESS_KEY", "sk"}};
    fake_.items = {Repository("main", "restic"), Policy("nightly", {{"backupSchedule", "0 2 * * *"},
                                                                    {"repositories", {"main"}}})};
  }
  FakeOperatorResources fake_;
  CrdCatalog catalog_{fake_};
};

TEST_F(CrdCatalogTest, UsableResourcesCarryTheirSecretsInMemory) {
  auto state = catalog_.Read();
  ASSERT_TRUE(state.has_value());
  ASSERT_EQ(state->policies.size(), 1U);
  EXPECT_EQ(state->policies[0].name, "nightly");
  ASSERT_EQ(state->repositories.size(), 1U);
  const RepositorySpec& main = state->repositories[0];
  EXPECT_EQ(main.location, "/backups/main");
  EXPECT_EQ(main.password_file, "");
  ASSERT_NE(main.secrets, nullptr);
  EXPECT_EQ(main.secrets->password, "s3cr3t");
  EXPECT_EQ(main.secrets->env.at("AWS_ACCESS_KEY_ID"), "AKIA");
  ASSERT_EQ(state->repository_resources.size(), 1U);
  EXPECT_EQ(state->repository_resources[0].generation, 2);
  EXPECT_FALSE(state->repository_resources[0].problem.has_value());
}

TEST_F(CrdCatalogTest, AnInvalidSpecOrMissingSecretIsLeftOutWithAReason) {
  fake_.items.push_back(Repository("lost", "no-such-secret"));
  fake_.items.push_back(Policy("typo", {{"backupSchedul", "0 2 * * *"}}));
  auto state = catalog_.Read();
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->policies.size(), 1U) << "the valid policy is unaffected";
  EXPECT_EQ(state->repositories.size(), 1U);
  ASSERT_EQ(state->repository_resources.size(), 2U);
  const auto& lost = state->repository_resources[1];
  ASSERT_TRUE(lost.problem.has_value());
  EXPECT_EQ(lost.problem->reason, kReasonSecretUnavailable);
  EXPECT_NE(lost.problem->message.find("db/no-such-secret"), std::string::npos);
  ASSERT_EQ(state->policy_resources.size(), 2U);
  ASSERT_TRUE(state->policy_resources[1].problem.has_value());
  EXPECT_EQ(state->policy_resources[1].problem->reason, kReasonInvalidSpec);
}

TEST_F(CrdCatalogTest, AMissingPasswordKeyIsASecretProblem) {
  fake_.secrets["db/restic"] = {{"other", "x"}};
  auto state = catalog_.Read();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->repositories.empty());
  ASSERT_TRUE(state->repository_resources[0].problem.has_value());
  EXPECT_NE(state->repository_resources[0].problem->message.find("no key 'password'"),
            std::string::npos);
}

TEST_F(CrdCatalogTest, AFailedListingReadsNothing) {
  fake_.fail_list = true;
  EXPECT_FALSE(catalog_.Read().has_value());
}

TEST_F(CrdCatalogTest, TheConfigFileWinsOverAResourceOfTheSameName) {
  auto file = ParseServeConfig(
      "repositories: [{name: main, repository: /file/main, passwordFile: /etc/pw}]\n"
      "policies: [{name: nightly, backupSchedule: '0 5 * * *', repositories: [main]}]\n",
      "test");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  fake_.items.push_back(
      Policy("weekly", {{"backupSchedule", "@weekly"}, {"repositories", {"main"}}}));
  auto state = catalog_.Read();
  ASSERT_TRUE(state.has_value());
  ServeConfig merged = MergeCrds(*file, *state);
  ASSERT_EQ(merged.policies.size(), 2U);
  EXPECT_EQ(merged.policies[0].backup_schedule, "0 5 * * *") << "the file's nightly";
  EXPECT_EQ(merged.policies[1].name, "weekly");
  ASSERT_EQ(merged.repositories.size(), 1U);
  EXPECT_EQ(merged.repositories[0].location, "/file/main");
  EXPECT_EQ(merged.repositories[0].secrets, nullptr);
}

TEST_F(CrdCatalogTest, TheFingerprintSeesAChangedSecretWithoutHoldingIt) {
  auto before = catalog_.Read();
  ASSERT_TRUE(before.has_value());
  const std::string first = ConfigFingerprint(MergeCrds({}, *before));
  EXPECT_EQ(first.find("s3cr3t"), std::string::npos);
  fake_.secrets["db/restic"] = {{"password", "rotated"}};
  auto after = catalog_.Read();
  ASSERT_TRUE(after.has_value());
  EXPECT_NE(ConfigFingerprint(MergeCrds({}, *after)), first);
}

}  // namespace
}  // namespace hasteward::op
