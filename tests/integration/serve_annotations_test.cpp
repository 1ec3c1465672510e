// `hasteward serve` on the kubernetes platform picks up the opt-in annotation of a database CR
// through its watch (a real kube-apiserver, deploy/ applied as users apply it): a CloudNativePG
// Cluster published from a real PostgreSQL sandbox is not managed until
// `clinic.hasteward.prplanit.com/policy` is added, then it is backed up on the policy's schedule (a
// snapshot lands in the repository); removing the annotation stops its jobs. Each job leaves an
// Event on the CR. The resync interval is an hour, so only the watch can explain a pickup within
// seconds. The operator's own namespace is deploy/'s (`hasteward`), the cluster's another, as on
// a user's cluster: serve lists and watches every namespace (until it did, the real node's tier
// found an operator in its pod that managed nothing).
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "support/command.h"
#include "support/deploy_manifests.h"
#include "support/fake_kube_operators.h"
#include "support/hasteward_env.h"
#include "support/operator_api.h"
#include "support/real_kube_operators.h"
#include "support/sandbox_cluster.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kCluster[] = "annotated";
constexpr char kPolicyAnnotation[] = "clinic.hasteward.prplanit.com/policy";

size_t CountAfter(const std::string& text, const std::string& what, size_t from) {
  size_t n = 0;
  for (auto at = text.find(what, from); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

class ServeAnnotationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = SandboxCluster::Create({.engine = platform::EngineKind::kPostgres,
                                           .instances = 1,
                                           .name = kCluster,
                                           .ns = "local"});
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    sandbox_ = std::move(sandbox).value();
    auto operator_api = OperatorApi::Start(kDeployNamespace, {kPlatformNamespace});
    ASSERT_TRUE(operator_api.ok()) << operator_api.status().ToString();
    operator_ = std::make_unique<OperatorApi>(std::move(operator_api).value());
    core::Status published = PublishSandboxAsCnpg(operator_->node(), *sandbox_, kPlatformNamespace);
    ASSERT_TRUE(published.ok()) << published.ToString();
    hs_.Set(operator_->env());
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    WriteFile(hs_.Path("password"), hs_.password() + "\n");
  }

  void TearDown() override { serve_.Stop(); }

  void StartServe() {
    const std::string config =
        WriteFile(hs_.Path("serve.yaml"),
                  "platform: kubernetes\n"
                  "stateFile: " +
                      hs_.Path("serve-state.json") +
                      "\n"
                      "discovery: {annotations: true, resyncSeconds: 3600}\n"
                      "repositories:\n"
                      "  - {name: main, repository: " +
                      hs_.repository() + ", passwordFile: " + hs_.Path("password") +
                      "}\n"
                      "policies:\n"
                      "  - {name: minutely, backupSchedule: '* * * * *', repositories: [main]}\n");
    auto started = serve_.Start(config, hs_.vars(), {.tick_seconds = 0.5, .grace_seconds = 20});
    ASSERT_TRUE(started.ok()) << started.ToString() << serve_.Logs();
  }

  // Sets (or with null, removes) the policy annotation on the Cluster CR, as `kubectl annotate`.
  void Annotate(const json& value) {
    json patch = {{"metadata", {{"annotations", {{kPolicyAnnotation, value}}}}}};
    auto reply =
        operator_->admin().Patch(platform::kubernetes::resources::kCnpgClusters, kPlatformNamespace,
                                 kCluster, platform::kubernetes::PatchType::kMerge, patch);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  }

  size_t BackupSnapshots() const {
    auto listed = hs_.Restic({"snapshots", "--json", "--tag", std::string("cluster=") + kCluster});
    if (listed.exit_code != 0)
      return 0;
    return json::parse(listed.out).size();
  }

  // Events in the cluster's namespace about the Cluster CR with reason BackupSucceeded.
  size_t BackupEvents() {
    auto listed =
        operator_->admin().List(platform::kubernetes::resources::kEvents, kPlatformNamespace);
    size_t n = 0;
    for (const auto& event : listed.ok() ? listed->value("items", json::array()) : json::array()) {
      const json& involved = event.value("involvedObject", json::object());
      if (involved.value("kind", "") == "Cluster" && involved.value("name", "") == kCluster &&
          event.value("reason", "") == "BackupSucceeded" && event.value("type", "") == "Normal")
        ++n;
    }
    return n;
  }

  HastewardEnv hs_{"hs-annotations-", "annotations-test"};
  std::unique_ptr<SandboxCluster> sandbox_;
  std::unique_ptr<OperatorApi> operator_;
  ServeProcess serve_;
};

TEST_F(ServeAnnotationsTest, AnAnnotationAddedThroughTheWatchSchedulesBackupsAndRemovingItStops) {
  StartServe();
  const std::string job_start = std::string("\"job start\"");
  // Six scheduler minutes without the annotation: the cluster is not managed.
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(CountAfter(serve_.Logs(), job_start, 0), 0U) << serve_.Logs();

  Annotate("minutely");
  ASSERT_TRUE(core::PollUntil(
      [&] { return serve_.Logs().find("\"cluster now managed\"") != std::string::npos; }, 10s))
      << "the watch did not deliver the annotation" << serve_.Logs();
  ASSERT_TRUE(
      core::PollUntil([&] { return serve_.Logs().find("\"job end\"") != std::string::npos; }, 60s))
      << serve_.Logs();
  EXPECT_NE(serve_.Logs().find("\"outcome\":\"ok\""), std::string::npos) << serve_.Logs();
  EXPECT_GE(BackupSnapshots(), 1U) << "the backup is in the policy's repository";
  // The job left an Event on the Cluster resource, as `kubectl describe` would list it.
  ASSERT_TRUE(core::PollUntil([&] { return BackupEvents() >= 1; }, 10s));

  Annotate(nullptr);
  ASSERT_TRUE(core::PollUntil(
      [&] { return serve_.Logs().find("\"cluster no longer managed\"") != std::string::npos; },
      10s))
      << serve_.Logs();
  const size_t removed_at = serve_.Logs().find("\"cluster no longer managed\"");
  // A backup that was running when the annotation went may finish; none starts afterwards.
  std::this_thread::sleep_for(4s);  // eight scheduler minutes
  EXPECT_EQ(CountAfter(serve_.Logs(), job_start, removed_at), 0U) << serve_.Logs();
}

}  // namespace
}  // namespace hasteward::testing
