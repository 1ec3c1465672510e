// `hasteward serve --platform kubernetes` driven by its BackupPolicy and BackupRepository
// resources (a real kube-apiserver with deploy/ applied as users apply it): the serve config names
// no policy and no repository. A CloudNativePG Cluster published from a real PostgreSQL sandbox
// opts in with the policy annotation before the policy exists; creating the Secret, the
// BackupRepository and the BackupPolicy through the API makes serve pick them up through its watch
// (the resync is an hour) and back the cluster up on the policy's schedule into that repository,
// with the password from the Secret (never in a file, on a command line or in the logs). The
// resources' status reflects it, and a repository whose Secret holds a wrong password turns
// Ready=False with its reason.
#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/poll_until.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kube_config.h"
#include "support/command.h"
#include "support/fake_kube_operators.h"
#include "support/hasteward_env.h"
#include "support/operator_api.h"
#include "support/real_kube_operators.h"
#include "support/sandbox_cluster.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kCluster[] = "crdpg";
constexpr char kSecretPassword[] = "from-the-secret-5e1d";
constexpr char kGroupVersion[] = "clinic.hasteward.prplanit.com/v1alpha1";

// Whether any regular file below `root` holds `needle`.
bool AnyFileHolds(const std::string& root, const std::string& needle) {
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(root, error);
       it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (error || !it->is_regular_file(error))
      continue;
    auto text = core::ReadFileToString(it->path().string());
    if (text.ok() && text->find(needle) != std::string::npos)
      return true;
  }
  return false;
}

class ServeCrdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = SandboxCluster::Create({.engine = platform::EngineKind::kPostgres,
                                           .instances = 1,
                                           .name = kCluster,
                                           .ns = "local"});
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    sandbox_ = std::move(sandbox).value();
    auto operator_api = OperatorApi::Start(kPlatformNamespace, {kPlatformNamespace});
    ASSERT_TRUE(operator_api.ok()) << operator_api.status().ToString();
    operator_ = std::make_unique<OperatorApi>(std::move(operator_api).value());
    ASSERT_TRUE(PublishSandboxAsCnpg(operator_->node(), *sandbox_, kPlatformNamespace).ok());
    hs_.Set(operator_->env());
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    // The test's own client: an admin, as `kubectl apply` by the cluster's owner.
    auto admin = k8s::LoadKubeconfig(operator_->AdminKubeconfig());
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::make_unique<k8s::KubeClient>(*admin);
  }

  void TearDown() override { serve_.Stop(); }

  void StartServe() {
    const std::string config =
        WriteFile(hs_.Path("serve.yaml"),
                  "platform: kubernetes\n"
                  "stateFile: " +
                      hs_.Path("serve-state.json") +
                      "\n"
                      "discovery: {annotations: true, resyncSeconds: 3600}\n");
    // No RESTIC_PASSWORD for serve: the only password it can know is the Secret's.
    auto env = hs_.vars();
    env.erase("RESTIC_PASSWORD");
    auto started = serve_.Start(config, env, {.tick_seconds = 0.5, .grace_seconds = 20});
    ASSERT_TRUE(started.ok()) << started.ToString() << serve_.Logs();
  }

  void Create(const k8s::KubeResource& resource, const std::string& ns, const json& object) {
    auto created = admin_->Create(resource, ns, object);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  // Secret `name` in the platform namespace and a BackupRepository `name` reading it.
  void CreateRepository(const std::string& name, const std::string& password) {
    Create(k8s::resources::kSecrets, kPlatformNamespace,
           SecretObject(kPlatformNamespace, name, {{"password", password}}));
    Create(k8s::resources::kBackupRepositories, "",
           {{"apiVersion", kGroupVersion},
            {"kind", "BackupRepository"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"restic",
               {{"repository", hs_.repository()},
                {"passwordSecretRef", {{"name", name}, {"namespace", kPlatformNamespace}}}}}}}});
  }

  // BackupPolicy "minutely": a backup every (scaled) minute into repository "main".
  void CreateMinutelyPolicy() {
    Create(k8s::resources::kBackupPolicies, "",
           {{"apiVersion", kGroupVersion},
            {"kind", "BackupPolicy"},
            {"metadata", {{"name", "minutely"}}},
            {"spec", {{"backupSchedule", "* * * * *"}, {"repositories", {"main"}}}}});
  }

  json Status(const k8s::KubeResource& resource, const std::string& name) const {
    auto got = admin_->Get(resource, "", name);
    return got.ok() ? got->value("status", json::object()) : json::object();
  }

  static std::string Ready(const json& status, const char* field = "status") {
    for (const auto& condition : status.value("conditions", json::array())) {
      if (condition.value("type", "") == "Ready")
        return condition.value(field, "");
    }
    return "";
  }

  // The Events on operator resource `kind`/`name` (cluster-scoped: they live in "default").
  std::vector<json> EventsOn(const std::string& kind, const std::string& name) const {
    std::vector<json> out;
    auto listed = admin_->List(k8s::resources::kEvents, "default");
    for (const auto& event : listed.ok() ? listed->value("items", json::array()) : json::array()) {
      const json involved = event.value("involvedObject", json::object());
      if (involved.value("kind", "") == kind && involved.value("name", "") == name)
        out.push_back(event);
    }
    return out;
  }

  size_t BackupSnapshots() const {
    auto listed = hs_.Restic({"snapshots", "--json", "--tag", std::string("cluster=") + kCluster});
    return listed.exit_code == 0 ? json::parse(listed.out).size() : 0;
  }

  HastewardEnv hs_{"hs-crds-", kSecretPassword};
  std::unique_ptr<SandboxCluster> sandbox_;
  std::unique_ptr<OperatorApi> operator_;
  std::unique_ptr<k8s::KubeClient> admin_;
  ServeProcess serve_;
};

TEST_F(ServeCrdsTest, PolicyAndRepositoryResourcesScheduleBackupsAndReportStatus) {
  auto annotated = admin_->Patch(
      k8s::resources::kCnpgClusters, kPlatformNamespace, kCluster, k8s::PatchType::kMerge,
      {{"metadata", {{"annotations", {{"clinic.hasteward.prplanit.com/policy", "minutely"}}}}}});
  ASSERT_TRUE(annotated.ok()) << annotated.status().ToString();
  StartServe();
  ASSERT_TRUE(core::PollUntil(
      [&] { return serve_.Logs().find("unknown policy 'minutely'") != std::string::npos; }, 10s))
      << "before the policy exists the cluster is refused" << serve_.Logs();

  CreateRepository("main", kSecretPassword);
  CreateMinutelyPolicy();
  ASSERT_TRUE(core::PollUntil(
      [&] { return serve_.Logs().find("\"cluster now managed\"") != std::string::npos; }, 10s))
      << "the watch did not deliver the policy" << serve_.Logs();
  bool password_on_a_command_line = false;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        for (const auto& line : ProcessCommandLines())
          password_on_a_command_line |= line.find(kSecretPassword) != std::string::npos;
        return serve_.Logs().find("\"job end\"") != std::string::npos;
      },
      45s))
      << serve_.Logs();
  EXPECT_NE(serve_.Logs().find("\"outcome\":\"ok\""), std::string::npos) << serve_.Logs();
  // Read by stock restic with the Secret's password.
  EXPECT_GE(BackupSnapshots(), 1U);

  ASSERT_TRUE(core::PollUntil(
      [&] {
        return Status(k8s::resources::kBackupRepositories, "main").value("snapshots", 0) >= 1;
      },
      15s))
      << Status(k8s::resources::kBackupRepositories, "main").dump() << serve_.Logs();
  json repository = Status(k8s::resources::kBackupRepositories, "main");
  EXPECT_EQ(Ready(repository), "True") << repository.dump();
  EXPECT_EQ(repository.value("observedGeneration", 0), 1);
  EXPECT_FALSE(repository.value("lastCheckTime", "").empty());
  json policy = Status(k8s::resources::kBackupPolicies, "minutely");
  EXPECT_EQ(policy.value("managedClusters", 0), 1) << policy.dump();
  EXPECT_EQ(Ready(policy), "True") << policy.dump();
  EXPECT_EQ(policy.value("observedGeneration", 0), 1);

  // A second repository whose Secret holds the wrong password.
  CreateRepository("wrong", "not-the-password");
  ASSERT_TRUE(core::PollUntil(
      [&] { return Ready(Status(k8s::resources::kBackupRepositories, "wrong")) == "False"; }, 15s))
      << serve_.Logs();
  EXPECT_EQ(Ready(Status(k8s::resources::kBackupRepositories, "wrong"), "reason"), "WrongPassword");

  // The password never left memory: no file, command line or log line holds it.
  EXPECT_FALSE(password_on_a_command_line);
  EXPECT_EQ(serve_.Logs().find(kSecretPassword), std::string::npos);
  EXPECT_FALSE(AnyFileHolds(hs_.dir(), kSecretPassword));
}

// An invalid BackupPolicy gets, besides its Ready=False/InvalidSpec condition, one Warning Event
// saying what to fix (kubectl describe shows it): once per generation, however often its status is
// written again, and again for a new generation still invalid. The invalid specs are those the
// CRDs' schemas let through (the real server refuses an empty repositories list or a
// BackupRepository without its password Secret or an empty repository name before serve sees
// them): cron expressions of five fields that are no schedule.
TEST_F(ServeCrdsTest, InvalidResourcesGetOneWarningEventPerGeneration) {
  StartServe();
  Create(k8s::resources::kBackupPolicies, "",
         {{"apiVersion", kGroupVersion},
          {"kind", "BackupPolicy"},
          {"metadata", {{"name", "broken"}}},
          {"spec", {{"backupSchedule", "61 * * * *"}, {"repositories", json::array({"main"})}}}});
  ASSERT_TRUE(core::PollUntil([&] { return EventsOn("BackupPolicy", "broken").size() == 1; }, 15s))
      << serve_.Logs();
  json event = EventsOn("BackupPolicy", "broken").front();
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_EQ(event["reason"], "InvalidSpec");
  EXPECT_NE(event.value("message", "").find("backupSchedule"), std::string::npos) << event.dump();
  auto policy = admin_->Get(k8s::resources::kBackupPolicies, "", "broken");
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(event["involvedObject"]["uid"], (*policy)["metadata"]["uid"]) << event.dump();
  EXPECT_EQ(Ready(Status(k8s::resources::kBackupPolicies, "broken"), "reason"), "InvalidSpec");

  // Another invalid resource makes the status writer run again: no second Event on the policy.
  Create(k8s::resources::kBackupPolicies, "",
         {{"apiVersion", kGroupVersion},
          {"kind", "BackupPolicy"},
          {"metadata", {{"name", "never"}}},
          {"spec", {{"triageSchedule", "* 25 * * *"}, {"repositories", json::array({"main"})}}}});
  ASSERT_TRUE(core::PollUntil([&] { return EventsOn("BackupPolicy", "never").size() == 1; }, 15s))
      << serve_.Logs();
  EXPECT_NE(EventsOn("BackupPolicy", "never")[0].value("message", "").find("triageSchedule"),
            std::string::npos);
  EXPECT_EQ(EventsOn("BackupPolicy", "broken").size(), 1U);

  // A new generation, still invalid: one more Event.
  ASSERT_TRUE(admin_
                  ->Patch(k8s::resources::kBackupPolicies, "", "broken", k8s::PatchType::kMerge,
                          {{"spec", {{"backupSchedule", "99 * * * *"}}}})
                  .ok());
  ASSERT_TRUE(core::PollUntil([&] { return EventsOn("BackupPolicy", "broken").size() == 2; }, 15s))
      << serve_.Logs();
  EXPECT_EQ(operator_->OperatorGrantsUsed().count("create core events"), 1U);
}

// Rotating a repository's password (docs/operator.md#rotating-a-repository-password): a second
// key is added with the new password, the BackupRepository is pointed at a new Secret holding it,
// and once its status shows the new generation Ready the old key is removed. serve's scheduled
// backups go on with the new password throughout, and the old one no longer opens the repository.
TEST_F(ServeCrdsTest, ARepositoryRotatesToANewPasswordSecret) {
  const std::string rotated = "rotated-password-77c0";
  CreateRepository("main", kSecretPassword);
  CreateMinutelyPolicy();
  ASSERT_TRUE(
      admin_
          ->Patch(k8s::resources::kCnpgClusters, kPlatformNamespace, kCluster,
                  k8s::PatchType::kMerge,
                  {{"metadata",
                    {{"annotations", {{"clinic.hasteward.prplanit.com/policy", "minutely"}}}}}})
          .ok());
  StartServe();
  ASSERT_TRUE(core::PollUntil([&] { return BackupSnapshots() >= 1; }, 45s)) << serve_.Logs();

  // 1. A second key with the new password (the old one still opens the repository).
  auto keys_before = hs_.Run({"repo", "key", "list", "--json"});
  ASSERT_EQ(keys_before.exit_code, 0) << keys_before.err;
  std::string old_key;
  for (const auto& key : json::parse(keys_before.out)) {
    if (key.value("current", false))
      old_key = key.value("id", "");
  }
  ASSERT_FALSE(old_key.empty()) << keys_before.out;
  const std::string new_password_file = WriteFile(hs_.Path("rotated"), rotated + "\n");
  auto added = hs_.Run({"repo", "key", "add", "--new-password-file", new_password_file});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  // 2. The BackupRepository reads a new Secret; serve takes it at the change (no restart).
  Create(k8s::resources::kSecrets, kPlatformNamespace,
         SecretObject(kPlatformNamespace, "main-rotated", {{"password", rotated}}));
  ASSERT_TRUE(
      admin_
          ->Patch(k8s::resources::kBackupRepositories, "", "main", k8s::PatchType::kMerge,
                  {{"spec", {{"restic", {{"passwordSecretRef", {{"name", "main-rotated"}}}}}}}})
          .ok());
  ASSERT_TRUE(core::PollUntil(
      [&] {
        json status = Status(k8s::resources::kBackupRepositories, "main");
        return status.value("observedGeneration", 0) == 2 && Ready(status) == "True";
      },
      15s))
      << Status(k8s::resources::kBackupRepositories, "main").dump() << serve_.Logs();
  // 3. The old key goes; only the new password opens the repository now.
  hs_.Set("RESTIC_PASSWORD", rotated);
  // Exclusive: it waits for the scheduled backup holding its shared lock.
  auto removed = hs_.Run({"repo", "key", "remove", old_key, "--retry-lock", "2m"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  const size_t before = BackupSnapshots();
  ASSERT_TRUE(core::PollUntil([&] { return BackupSnapshots() > before; }, 45s)) << serve_.Logs();
  for (const char* bad : {"\"outcome\":\"failed\"", "\"outcome\":\"error\""})
    EXPECT_EQ(serve_.Logs().find(bad), std::string::npos) << serve_.Logs();
  hs_.Set("RESTIC_PASSWORD", kSecretPassword);
  EXPECT_NE(hs_.Restic({"snapshots"}).exit_code, 0) << "the old password still opens it";
  EXPECT_EQ(serve_.Logs().find(rotated), std::string::npos);
}

}  // namespace
}  // namespace hasteward::testing
