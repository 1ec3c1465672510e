// The kubernetes platform's operator resources (BackupPolicy, BackupRepository) against
// FakeKubeApi, as the operator's ServiceAccount with the RBAC of deploy/ (rendered by kubectl):
// listed and mapped, a change reported through the watch, Secrets read and decoded, and status
// written through the status subresource without touching the spec or its generation.
#include "platform/kubernetes/kube_operator_resources.h"

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "core/temp_dir.h"
#include "platform/kubernetes/kubernetes_platform.h"
#include "support/deploy_manifests.h"
#include "support/fake_kube_api.h"
#include "support/fake_kube_operators.h"
#include "support/serve_process.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kGroupVersion[] = "clinic.hasteward.prplanit.com/v1alpha1";

json Policy(const std::string& name, const json& spec) {
  return {{"apiVersion", kGroupVersion},
          {"kind", "BackupPolicy"},
          {"metadata", {{"name", name}}},
          {"spec", spec}};
}

class KubeOperatorResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("kube-crds-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(dir).value());
    auto rbac = testing::WriteDeployRbacFile(dir_->path() + "/rbac.yaml", {"db"});
    ASSERT_TRUE(rbac.ok()) << rbac.status().ToString();
    testing::FakeKubeApiOptions options;
    options.rbac_file = *rbac;
    auto api = testing::FakeKubeApi::Start(options);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(api).value();
    api_->AddServiceAccountToken("sa-token", testing::kDeployNamespace,
                                 testing::kDeployServiceAccount);
    auto config = LoadKubeconfig(*api_->WriteKubeconfig("sa-token", "db"));
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    platform_ = std::make_unique<KubernetesPlatform>(*config);
    auto opened = platform_->OpenOperatorResources();
    ASSERT_TRUE(opened.ok() && *opened) << opened.status().ToString();
    resources_ = std::move(opened).value();
  }

  json Stored(const std::string& plural, const std::string& name) {
    return api_->store()
        .Get(*api_->FindResource("clinic.hasteward.prplanit.com", plural), "", name)
        .body;
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<testing::FakeKubeApi> api_;
  std::unique_ptr<KubernetesPlatform> platform_;
  std::unique_ptr<OperatorResources> resources_;
};

TEST_F(KubeOperatorResourcesTest, ListsBothKindsSortedWithSpecAndGeneration) {
  ASSERT_TRUE(api_->CreateForTest(Policy("nightly", {{"backupSchedule", "0 2 * * *"}})).ok());
  ASSERT_TRUE(api_->CreateForTest(Policy("daily", {{"mode", "repair"}})).ok());
  ASSERT_TRUE(api_->CreateForTest({{"apiVersion", kGroupVersion},
                                   {"kind", "BackupRepository"},
                                   {"metadata", {{"name", "main"}}},
                                   {"spec", {{"restic", {{"repository", "/backups"}}}}}})
                  .ok());

  auto policies = resources_->List(OperatorResourceKind::kBackupPolicy);
  ASSERT_TRUE(policies.ok()) << policies.status().ToString();
  ASSERT_EQ(policies->size(), 2U);
  EXPECT_EQ((*policies)[0].name, "daily");
  EXPECT_EQ((*policies)[1].name, "nightly");
  EXPECT_EQ((*policies)[1].spec["backupSchedule"], "0 2 * * *");
  EXPECT_EQ((*policies)[1].generation, 1);
  auto repositories = resources_->List(OperatorResourceKind::kBackupRepository);
  ASSERT_TRUE(repositories.ok()) << repositories.status().ToString();
  ASSERT_EQ(repositories->size(), 1U);
  EXPECT_EQ((*repositories)[0].kind, OperatorResourceKind::kBackupRepository);
  EXPECT_EQ((*repositories)[0].spec["restic"]["repository"], "/backups");
}

TEST_F(KubeOperatorResourcesTest, TheWatchReportsAChangeToEitherKind) {
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return api_->GrantsUsedForTest().count(
            "watch clinic.hasteward.prplanit.com/backuppolicies");
      },
      5s));
  resources_->TakeChange();  // the first listing
  EXPECT_FALSE(resources_->TakeChange());
  ASSERT_TRUE(api_->CreateForTest(Policy("added", json::object())).ok());
  EXPECT_TRUE(core::PollUntil([&] { return resources_->TakeChange(); }, 5s));
  ASSERT_TRUE(api_->CreateForTest({{"apiVersion", kGroupVersion},
                                   {"kind", "BackupRepository"},
                                   {"metadata", {{"name", "r"}}},
                                   {"spec", json::object()}})
                  .ok());
  EXPECT_TRUE(core::PollUntil([&] { return resources_->TakeChange(); }, 5s));
}

TEST_F(KubeOperatorResourcesTest, ReadsSecretsDecodedAndOnlyWhereGranted) {
  ASSERT_TRUE(
      api_->CreateForTest(testing::SecretObject("db", "restic", {{"password", "s3cr3t\n"}})).ok());
  ASSERT_TRUE(
      api_->CreateForTest(testing::SecretObject("other", "restic", {{"password", "x"}})).ok());
  auto values = resources_->ReadSecret("db", "restic");
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  EXPECT_EQ(values->at("password"), "s3cr3t\n");
  EXPECT_EQ(resources_->ReadSecret("db", "missing").status().code(), core::ErrorCode::kNotFound);
  // The secret-reader Role is bound in "db" only.
  EXPECT_EQ(resources_->ReadSecret("other", "restic").status().code(),
            core::ErrorCode::kAuthFailed);
}

TEST_F(KubeOperatorResourcesTest, StatusWritesLeaveSpecAndGenerationAlone) {
  ASSERT_TRUE(api_->CreateForTest(Policy("p", {{"backupSchedule", "0 2 * * *"}})).ok());
  // A status patch that also tries to change the spec: only the status moves.
  ASSERT_TRUE(resources_
                  ->WriteStatus(OperatorResourceKind::kBackupPolicy, "p",
                                {{"observedGeneration", 1}, {"managedClusters", 3}})
                  .ok());
  json stored = Stored("backuppolicies", "p");
  EXPECT_EQ(stored["status"]["managedClusters"], 3);
  EXPECT_EQ(stored["metadata"]["generation"], 1);
  // A second write merges (other status fields stay).
  ASSERT_TRUE(
      resources_->WriteStatus(OperatorResourceKind::kBackupPolicy, "p", {{"managedClusters", 4}})
          .ok());
  stored = Stored("backuppolicies", "p");
  EXPECT_EQ(stored["status"]["managedClusters"], 4);
  EXPECT_EQ(stored["status"]["observedGeneration"], 1);
  EXPECT_EQ(stored["spec"]["backupSchedule"], "0 2 * * *");
  EXPECT_EQ(resources_->WriteStatus(OperatorResourceKind::kBackupRepository, "gone", json::object())
                .code(),
            core::ErrorCode::kNotFound);
}

// The fake's status subresource semantics the operator relies on: /status changes only the status
// (a spec in the patch is ignored), the main endpoint never the status, and the generation counts
// spec changes only.
TEST_F(KubeOperatorResourcesTest, FakeStatusSubresourceKeepsSpecAndStatusApart) {
  const testing::FakeKubeResource* policies =
      api_->FindResource("clinic.hasteward.prplanit.com", "backuppolicies");
  ASSERT_NE(policies, nullptr);
  ASSERT_TRUE(api_->CreateForTest(Policy("p", {{"mode", "triage"}})).ok());
  auto reply = api_->store().Patch(*policies, "", "p", testing::FakePatchType::kMerge,
                                   {{"spec", {{"mode", "repair"}}}, {"status", {{"x", 1}}}}, true);
  ASSERT_EQ(reply.code, 200) << reply.body.dump();
  EXPECT_EQ(reply.body["spec"]["mode"], "triage");
  EXPECT_EQ(reply.body["metadata"]["generation"], 1);
  reply = api_->store().Patch(*policies, "", "p", testing::FakePatchType::kMerge,
                              {{"spec", {{"mode", "repair"}}}, {"status", {{"x", 2}}}}, false);
  ASSERT_EQ(reply.code, 200) << reply.body.dump();
  EXPECT_EQ(reply.body["spec"]["mode"], "repair");
  EXPECT_EQ(reply.body["status"]["x"], 1);
  EXPECT_EQ(reply.body["metadata"]["generation"], 2);
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
