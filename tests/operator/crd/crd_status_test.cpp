// The status written onto BackupPolicy/BackupRepository resources: readiness with its reasons, the
// status objects' fields, and the repository check against a real local repository (a wrong
// password is Ready=False WrongPassword).
#include "operator/crd/crd_status.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward::op {
namespace {

using nlohmann::json;

ServeConfig WithPolicy(const std::string& repository) {
  ServeConfig config;
  config.policies.push_back({"nightly", "0 2 * * *", "", "", "triage", {repository}, {}});
  config.repositories.push_back(
      {"main", "/r", "", std::make_shared<RepositorySecrets>(RepositorySecrets{"pw", {}})});
  return config;
}

TEST(CrdStatusTest, APolicyIsReadyWhenItsRepositoriesAreUsable) {
  CrdResourceInfo info{"nightly", 4, std::nullopt};
  EXPECT_TRUE(PolicyReadiness(info, {}, WithPolicy("main")).ready);
  ReadyCondition missing = PolicyReadiness(info, {}, WithPolicy("gone"));
  EXPECT_FALSE(missing.ready);
  EXPECT_EQ(missing.reason, "RepositoryUnavailable");
  EXPECT_NE(missing.message.find("'gone'"), std::string::npos);
}

TEST(CrdStatusTest, AConfigFileEntryOfTheSameNameOverridesTheResource) {
  ServeConfig file = WithPolicy("main");
  ReadyCondition policy = PolicyReadiness({"nightly", 1, std::nullopt}, file, file);
  EXPECT_FALSE(policy.ready);
  EXPECT_EQ(policy.reason, "OverriddenByConfig");
  auto repository = RepositoryRefusal({"main", 1, std::nullopt}, file);
  ASSERT_TRUE(repository.has_value());
  EXPECT_EQ(repository->reason, "OverriddenByConfig");
  EXPECT_FALSE(RepositoryRefusal({"other", 1, std::nullopt}, file).has_value());
}

TEST(CrdStatusTest, ARefusedResourceCarriesItsProblemAsTheCondition) {
  CrdResourceInfo info{"typo", 2, ResourceProblem{"InvalidSpec", "unknown field 'x'"}};
  ReadyCondition ready = PolicyReadiness(info, {}, {});
  EXPECT_FALSE(ready.ready);
  EXPECT_EQ(ready.reason, "InvalidSpec");
  json status = PolicyStatus(info, 0, ready, "2026-11-23T10:00:00Z");
  EXPECT_EQ(status["observedGeneration"], 2);
  EXPECT_EQ(status["managedClusters"], 0);
  ASSERT_EQ(status["conditions"].size(), 1U);
  EXPECT_EQ(status["conditions"][0]["type"], "Ready");
  EXPECT_EQ(status["conditions"][0]["status"], "False");
  EXPECT_EQ(status["conditions"][0]["reason"], "InvalidSpec");
  EXPECT_EQ(status["conditions"][0]["lastTransitionTime"], "2026-11-23T10:00:00Z");
}

class RepositoryCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("crd-status-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(dir).value());
    auto backend = storage::OpenBackend(dir_->path() + "/repo");
    ASSERT_TRUE(backend.ok());
    repo::InitOptions init;
    init.kdf = repo::KdfParams{1024, 8, 1};  // fast for tests
    ASSERT_TRUE(repo::Repository::Init(std::move(backend).value(), "right", init).ok());
  }
  RepositorySpec Spec(const std::string& password) const {
    return {"main", dir_->path() + "/repo", "",
            std::make_shared<RepositorySecrets>(RepositorySecrets{password, {}})};
  }
  std::unique_ptr<core::TempDir> dir_;
};

TEST_F(RepositoryCheckTest, TheRightPasswordIsReadyWithTheSnapshotCount) {
  RepositoryCheck check = CheckRepository(Spec("right"), 1'800'000'000);
  EXPECT_TRUE(check.condition.ready) << check.condition.message;
  ASSERT_TRUE(check.snapshots.has_value());
  EXPECT_EQ(*check.snapshots, 0U);
  json status = RepositoryStatus({"main", 3, std::nullopt}, check.condition, check, "t");
  EXPECT_EQ(status["snapshots"], 0);
  EXPECT_EQ(status["observedGeneration"], 3);
  EXPECT_EQ(status["lastCheckTime"], "2027-01-15T08:00:00Z");
}

TEST_F(RepositoryCheckTest, AWrongPasswordIsNotReadyWithItsReason) {
  RepositoryCheck check = CheckRepository(Spec("wrong"), 1'800'000'000);
  EXPECT_FALSE(check.condition.ready);
  EXPECT_EQ(check.condition.reason, "WrongPassword");
  EXPECT_FALSE(check.snapshots.has_value());
  json status = RepositoryStatus({"main", 1, std::nullopt}, check.condition, check, "t");
  EXPECT_FALSE(status.contains("snapshots"));
  EXPECT_EQ(status["conditions"][0]["status"], "False");
}

TEST_F(RepositoryCheckTest, AMissingRepositoryIsUnreachable) {
  RepositorySpec spec = Spec("right");
  spec.location = dir_->path() + "/nothing-here";
  RepositoryCheck check = CheckRepository(spec, 0);
  EXPECT_FALSE(check.condition.ready);
  EXPECT_EQ(check.condition.reason, "Unreachable");
}

}  // namespace
}  // namespace hasteward::op
