// BackupPolicy / BackupRepository specs (README "Operator Mode", deploy/crds) mapped to the specs
// `serve` schedules with, and every invalid spec refused with the resource and field named.
#include "operator/crd/crd_specs.h"

#include <gtest/gtest.h>

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace crd_specs_test {
namespace {

using nlohmann::json;
using platform::OperatorResourceKind;

platform::OperatorResource Resource(OperatorResourceKind kind, json spec) {
  return {kind, "default", 3, std::move(spec)};
}

// The README's BackupPolicy example.
json ReadmePolicy() {
  return {
      {"backupSchedule", "0 2 * * *"},
      {"triageSchedule", "*/15 * * * *"},
      {"mode", "repair"},
      {"repositories", {"local-backups"}},
      {"retention", {{"keepLast", 7}, {"keepDaily", 30}, {"keepWeekly", 12}, {"keepMonthly", 24}}}};
}

TEST(CrdSpecsTest, TheReadmePolicyMapsFieldForField) {
  auto policy = PolicyFromResource(Resource(OperatorResourceKind::kBackupPolicy, ReadmePolicy()));
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->name, "default");
  EXPECT_EQ(policy->backup_schedule, "0 2 * * *");
  EXPECT_EQ(policy->triage_schedule, "*/15 * * * *");
  EXPECT_EQ(policy->verify_schedule, "");
  EXPECT_EQ(policy->mode, "repair");
  EXPECT_EQ(policy->repositories, std::vector<std::string>{"local-backups"});
  EXPECT_EQ(policy->retention.keep_last, 7);
  EXPECT_EQ(policy->retention.keep_daily, 30);
  EXPECT_EQ(policy->retention.keep_weekly, 12);
  EXPECT_EQ(policy->retention.keep_monthly, 24);
  EXPECT_EQ(policy->retention.keep_yearly, 0);
}

TEST(CrdSpecsTest, ModeDefaultsToTriageAsInTheCrd) {
  auto policy =
      PolicyFromResource(Resource(OperatorResourceKind::kBackupPolicy, {{"repositories", {"r"}}}));
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->mode, "triage");
  EXPECT_TRUE(policy->retention.IsEmpty());
  EXPECT_EQ(policy->backup_method, BackupMethod::kUnset) << "the backup command's default";
}

TEST(CrdSpecsTest, TheBackupMethodMapsToTheScheduledBackupsMethod) {
  auto policy = PolicyFromResource(Resource(OperatorResourceKind::kBackupPolicy,
                                            {{"repositories", {"r"}}, {"backupMethod", "native"}}));
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->backup_method, BackupMethod::kNative);
}

TEST(CrdSpecsTest, InvalidPoliciesAreRefusedNamingResourceAndField) {
  struct Case {
    json spec;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {json(), "must be an object"},
      {{{"repositories", {"r"}}, {"backupSchedul", "0 2 * * *"}}, "unknown field 'backupSchedul'"},
      {{{"repositories", {"r"}}, {"backupSchedule", "0 25 * * *"}}, "backupSchedule"},
      {{{"repositories", {"r"}}, {"mode", "heal"}}, "mode 'heal'"},
      {{{"repositories", json::array()}}, "repositories"},
      {{{"repositories", {"r"}}, {"retention", {{"keepLast", -1}}}}, "keepLast"},
      {{{"repositories", {"r"}}, {"triageSchedule", 5}}, "triageSchedule must be a string"},
      {{{"repositories", {"r"}}, {"backupMethod", "snapshot"}}, "backupMethod"},
  };
  for (const auto& c : cases) {
    auto policy = PolicyFromResource(Resource(OperatorResourceKind::kBackupPolicy, c.spec));
    ASSERT_FALSE(policy.ok()) << c.spec.dump();
    EXPECT_EQ(policy.status().code(), core::ErrorCode::kUsage);
    EXPECT_NE(policy.status().ToString().find("BackupPolicy 'default'"), std::string::npos)
        << policy.status().ToString();
    EXPECT_NE(policy.status().ToString().find(c.mentions), std::string::npos)
        << policy.status().ToString();
  }
}

TEST(CrdSpecsTest, TheReadmeRepositoryMapsWithBothSecretReferences) {
  auto repository = RepositoryFromResource(Resource(
      OperatorResourceKind::kBackupRepository,
      {{"restic",
        {{"repository", "/backups/restic/local"},
         {"passwordSecretRef",
          {{"name", "restic-password"}, {"namespace", "fairy-bottle"}, {"key", "password"}}},
         {"envSecretRef", {{"name", "s3-credentials"}, {"namespace", "fairy-bottle"}}}}}}));
  ASSERT_TRUE(repository.ok()) << repository.status().ToString();
  EXPECT_EQ(repository->name, "default");
  EXPECT_EQ(repository->location, "/backups/restic/local");
  EXPECT_EQ(repository->password.ns, "fairy-bottle");
  EXPECT_EQ(repository->password.name, "restic-password");
  EXPECT_EQ(repository->password.key, "password");
  ASSERT_TRUE(repository->env.has_value());
  EXPECT_EQ(repository->env->name, "s3-credentials");
  EXPECT_EQ(repository->env->key, "");
}

TEST(CrdSpecsTest, ThePasswordKeyDefaultsAndTheEnvSecretIsOptional) {
  auto repository = RepositoryFromResource(
      Resource(OperatorResourceKind::kBackupRepository,
               {{"restic",
                 {{"repository", "s3:https://s3.example/bucket"},
                  {"passwordSecretRef", {{"name", "pw"}, {"namespace", "db"}}}}}}));
  ASSERT_TRUE(repository.ok()) << repository.status().ToString();
  EXPECT_EQ(repository->password.key, "password");
  EXPECT_FALSE(repository->env.has_value());
}

TEST(CrdSpecsTest, InvalidRepositoriesAreRefusedNamingTheField) {
  const json password = {{"name", "pw"}, {"namespace", "db"}};
  struct Case {
    json spec;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {json::object(), "restic must be an object"},
      {{{"restic", {{"passwordSecretRef", password}}}}, "restic.repository is required"},
      {{{"restic", {{"repository", "/r"}}}}, "passwordSecretRef is required"},
      {{{"restic", {{"repository", "/r"}, {"passwordSecretRef", {{"name", "pw"}}}}}},
       "needs 'name' and 'namespace'"},
      {{{"restic", {{"repository", "/r"}, {"passwordSecretRef", password}, {"pasword", 1}}}},
       "unknown field 'pasword'"},
      {{{"restic",
         {{"repository", "/r"},
          {"passwordSecretRef", password},
          {"envSecretRef", {{"name", "e"}, {"namespace", "db"}, {"key", "k"}}}}}},
       "unknown field 'key'"},
  };
  for (const auto& c : cases) {
    auto repository =
        RepositoryFromResource(Resource(OperatorResourceKind::kBackupRepository, c.spec));
    ASSERT_FALSE(repository.ok()) << c.spec.dump();
    EXPECT_NE(repository.status().ToString().find("BackupRepository 'default'"), std::string::npos);
    EXPECT_NE(repository.status().ToString().find(c.mentions), std::string::npos)
        << repository.status().ToString();
  }
}

}  // namespace
}  // namespace crd_specs_test
}  // namespace hasteward::op
