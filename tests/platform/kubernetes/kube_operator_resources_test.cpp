// The kubernetes platform's operator resources (BackupPolicy, BackupRepository) against a real
// kube-apiserver and etcd with deploy/ applied as users apply it, as the operator's ServiceAccount
// with deploy/'s RBAC (issue 50):
// listed and mapped, a change reported through the watch, Secrets read and decoded, and status
// written through the status subresource without touching the spec or its generation.
#include "platform/kubernetes/kube_operator_resources.h"

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "platform/kubernetes/kubernetes_platform.h"
#include "support/fake_kube_operators.h"
#include "support/real_kube_admin_test.h"
#include "support/real_kube_audit.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kGroupVersion[] = "clinic.hasteward.prplanit.com/v1alpha1";

// A BackupPolicy with `spec` and the repository list its schema requires.
json Policy(const std::string& name, json spec) {
  spec["repositories"] = json::array({"main"});
  return {{"apiVersion", kGroupVersion},
          {"kind", "BackupPolicy"},
          {"metadata", {{"name", name}}},
          {"spec", spec}};
}

// A BackupRepository at `path` whose password is the Secret db/restic, as its schema requires.
json Repository(const std::string& name, const std::string& path) {
  return {{"apiVersion", kGroupVersion},
          {"kind", "BackupRepository"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"restic",
             {{"repository", path},
              {"passwordSecretRef", {{"name", "restic"}, {"namespace", "db"}}}}}}}};
}

class KubeOperatorResourcesTest : public testing::RealKubeAdminTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartApi({"db", "other"}));
    ASSERT_NO_FATAL_FAILURE(ApplyDeploy({"db"}));
    platform_ = std::make_unique<KubernetesPlatform>(OperatorConfig("db"));
    auto opened = platform_->OpenOperatorResources();
    ASSERT_TRUE(opened.ok() && *opened) << opened.status().ToString();
    resources_ = std::move(opened).value();
  }

  // Creates `object` as the cluster admin would (kubectl create).
  bool CreateForTest(const json& object) {
    auto created = api_->Create(object);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok();
  }

  json Stored(const std::string& plural, const std::string& name) {
    testing::CmdResult r =
        api_->Kubectl({"get", plural + ".clinic.hasteward.prplanit.com", name, "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }

  // Whether the operator's account has sent a `verb` request on `resource` that the server
  // answered with 200 (the audit log).
  bool Requested(const std::string& verb, const std::string& resource) {
    for (const auto& request :
         testing::RequestsBy(api_->AuditEvents(), "system:serviceaccount:hasteward:hasteward")) {
      if (request.needed.verb == verb && request.needed.resource == resource &&
          request.code == 200) {
        return true;
      }
    }
    return false;
  }

  std::string RequestsText() {
    std::string text;
    for (const auto& request :
         testing::RequestsBy(api_->AuditEvents(), "system:serviceaccount:hasteward:hasteward")) {
      text += request.Text() + "\n";
    }
    return text;
  }

  std::unique_ptr<KubernetesPlatform> platform_;
  std::unique_ptr<OperatorResources> resources_;
};

TEST_F(KubeOperatorResourcesTest, ListsBothKindsSortedWithSpecAndGeneration) {
  ASSERT_TRUE(CreateForTest(Policy("nightly", {{"backupSchedule", "0 2 * * *"}})));
  ASSERT_TRUE(CreateForTest(Policy("daily", {{"mode", "repair"}})));
  ASSERT_TRUE(CreateForTest(Repository("main", "/backups")));

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
  // Serving a CRD just established, the server answers "429 storage is (re)initializing" for a
  // few seconds; the operator's watch retries every second. Once both kinds were listed, a change
  // reaches the watch (it resumes from the listing's resourceVersion).
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return Requested("list", "backuppolicies") && Requested("list", "backuprepositories");
      },
      60s))
      << RequestsText();
  resources_->TakeChange();  // the first listing
  EXPECT_FALSE(resources_->TakeChange());
  ASSERT_TRUE(CreateForTest(Policy("added", json::object())));
  EXPECT_TRUE(core::PollUntil([&] { return resources_->TakeChange(); }, 5s));
  ASSERT_TRUE(CreateForTest(Repository("r", "/other")));
  EXPECT_TRUE(core::PollUntil([&] { return resources_->TakeChange(); }, 5s));
}

TEST_F(KubeOperatorResourcesTest, ReadsSecretsDecodedAndOnlyWhereGranted) {
  ASSERT_TRUE(CreateForTest(testing::SecretObject("db", "restic", {{"password", "s3cr3t\n"}})));
  ASSERT_TRUE(CreateForTest(testing::SecretObject("other", "restic", {{"password", "x"}})));
  auto values = resources_->ReadSecret("db", "restic");
  ASSERT_TRUE(values.ok()) << values.status().ToString();
  EXPECT_EQ(values->at("password"), "s3cr3t\n");
  EXPECT_EQ(resources_->ReadSecret("db", "missing").status().code(), core::ErrorCode::kNotFound);
  // The secret-reader Role is bound in "db" only.
  EXPECT_EQ(resources_->ReadSecret("other", "restic").status().code(),
            core::ErrorCode::kAuthFailed);
}

TEST_F(KubeOperatorResourcesTest, StatusWritesLeaveSpecAndGenerationAlone) {
  ASSERT_TRUE(CreateForTest(Policy("p", {{"backupSchedule", "0 2 * * *"}})));
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

}  // namespace
}  // namespace hasteward::platform::kubernetes
