// `hasteward serve --platform kubernetes` running DR standbys declared as StandbyCluster resources
// (a real kube-apiserver with deploy/ applied as users apply it). The CRD and a standby are applied
// with the real kubectl (as a DR site's owner would, from deploy/crds and a manifest shaped like
// deploy/examples/standby-cluster.yaml); serve picks the standby up through its watch (the resync
// is an hour), discovers a real PostgreSQL sandbox's backup through the repository alone with the
// password from a Secret, and writes the conditions, the discovered backup and the activation
// phase to the resource's status (read back with `kubectl get -o json`), and the retention floor
// cursor to the repository. An invalid resource beside it says why in its Ready condition without
// disturbing it; deleting the resource stops its standby.
#include <chrono>
#include <optional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/poll_until.h"
#include "repo/cursor/standby_cursor.h"
#include "storage/local/local_backend.h"
#include "support/command.h"
#include "support/deploy_manifests.h"
#include "support/fake_kube_operators.h"
#include "support/hasteward_env.h"
#include "support/operator_api.h"
#include "support/real_kube_operators.h"
#include "support/serve_process.h"
#include "support/source_dir.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kPassword[] = "standby-crd-5e1d";
constexpr char kDrNamespace[] = "dr";

class ServeStandbyCrdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    auto up = hs_.Run({"sandbox", "up", "-e", "cnpg", "-c", "shop", "-n", "src"});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    // Native: what an activation restores, so the only kind a standby discovers.
    auto backup =
        hs_.Run({"backup", "--method", "native", "-e", "cnpg", "-c", "shop", "-n", "src"});
    ASSERT_EQ(backup.exit_code, 0) << backup.err;
    auto operator_api = OperatorApi::Start(kDrNamespace, {kDrNamespace});
    ASSERT_TRUE(operator_api.ok()) << operator_api.status().ToString();
    operator_ = std::make_unique<OperatorApi>(std::move(operator_api).value());
    serve_env_ = hs_.vars();
    serve_env_.erase("RESTIC_PASSWORD");  // the only password serve can know is the Secret's
    for (const auto& [name, value] : operator_->env()) {
      serve_env_[name] = value;
    }
  }

  void TearDown() override {
    serve_.Stop();
    hs_.Run({"sandbox", "down", "-c", "shop", "-n", "src"});
  }

  // The kubectl built with the server (RealKubeApi::Kubectl, as the admin): the host's kubectl is
  // Debian's 1.20 on a fresh machine, whatever a development machine carries.
  CmdResult Kubectl(const std::vector<std::string>& args) const {
    return operator_->api().Kubectl(args);
  }

  // `kubectl apply` of `yaml`, validated against the server's OpenAPI document.
  void Apply(const std::string& yaml) {
    const std::string path =
        WriteFile(hs_.Path("apply-" + std::to_string(++applied_) + ".yaml"), yaml);
    CmdResult applied = Kubectl({"apply", "-f", path});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  }

  // A StandbyCluster following src/shop in the local repository; `freshness` as in the CRD.
  std::string Standby(const std::string& name, const std::string& freshness) const {
    return "apiVersion: clinic.hasteward.prplanit.com/v1alpha1\nkind: StandbyCluster\n"
           "metadata: {name: " +
           name + "}\nspec:\n  source:\n    repository: " + hs_.repository() +
           "\n    passwordSecretRef: {name: shop-repository, namespace: dr}\n"
           "    cluster: {engine: cnpg, namespace: src, name: shop}\n"
           "  template: {engine: cnpg, namespace: dr, name: shop}\n"
           "  freshness: {" +
           freshness + "}\n  cursor: {ttl: 10m}\n";
  }

  json StatusOf(const std::string& name) const {
    CmdResult got = Kubectl({"get", "standbycluster", name, "-o", "json"});
    if (got.exit_code != 0)
      return json::object();
    return json::parse(got.out).value("status", json::object());
  }

  static json Condition(const json& status, const std::string& type) {
    for (const auto& condition : status.value("conditions", json::array())) {
      if (condition.value("type", "") == type)
        return condition;
    }
    return json::object();
  }

  std::optional<repo::StandbyCursor> Cursor(const std::string& standby) const {
    auto repository = repo::Repository::Open(
        std::make_unique<storage::LocalBackend>(hs_.repository()), kPassword);
    if (!repository.ok())
      return std::nullopt;
    auto cursors = repo::LoadStandbyCursors(**repository);
    for (const auto& read : cursors.ok() ? *cursors : std::vector<repo::CursorRead>{}) {
      if (read.cursor && read.cursor->standby == standby)
        return read.cursor;
    }
    return std::nullopt;
  }

  std::string NewestBackupId() const {
    auto listed = hs_.Restic({"snapshots", "--json", "--tag", "cluster=shop"});
    auto snapshots = json::parse(listed.out);
    return snapshots.empty() ? "" : snapshots.back().value("id", "");
  }

  HastewardEnv hs_{"hs-standby-crds-", kPassword};
  std::unique_ptr<OperatorApi> operator_;
  HastewardEnv::EnvVars serve_env_;
  ServeProcess serve_;
  int applied_ = 0;
};

TEST_F(ServeStandbyCrdsTest, AppliedStandbyIsDiscoveredReportedInStatusAndStopsWhenDeleted) {
  auto rendered = RenderDeployManifests();  // kubectl kustomize deploy/ still renders
  ASSERT_TRUE(rendered.ok()) << rendered.status().ToString();
  auto crd = core::ReadFileToString(SourceDir() + "/deploy/crds/standbyclusters.yaml");
  ASSERT_TRUE(crd.ok());
  Apply(*crd);
  const std::string config = WriteFile(
      hs_.Path("serve.yaml"), "platform: kubernetes\nstateFile: " + hs_.Path("serve-state.json") +
                                  "\ndiscovery: {annotations: true, resyncSeconds: 3600}\n");
  ASSERT_TRUE(serve_.Start(config, serve_env_, {.tick_seconds = 0.5, .grace_seconds = 20}).ok())
      << serve_.Logs();

  // The Secret as its owner creates it.
  ASSERT_TRUE(operator_->admin()
                  .Create(platform::kubernetes::resources::kSecrets, kDrNamespace,
                          SecretObject(kDrNamespace, "shop-repository", {{"password", kPassword}}))
                  .ok());
  Apply(Standby("shop-dr", "discoveryInterval: 2s") + "---\n" +
        Standby("shop-bad", "discoveryInterval: 2s, verifySchedule: 5m"));

  json status;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        status = StatusOf("shop-dr");
        return !Condition(status, "BucketReadable").empty() && status.contains("discovered");
      },
      30s))
      << status.dump() << serve_.Logs();
  EXPECT_EQ(Condition(status, "Ready").value("status", ""), "True") << status.dump();
  EXPECT_EQ(Condition(status, "BucketReadable").value("status", ""), "True") << status.dump();
  EXPECT_EQ(Condition(status, "SourceConfigKnown").value("status", ""), "True") << status.dump();
  EXPECT_FALSE(Condition(status, "Restorable").empty()) << status.dump();
  EXPECT_EQ(Condition(status, "Fresh").value("status", ""), "True") << status.dump();
  EXPECT_EQ(Condition(status, "Stale").value("status", ""), "False") << status.dump();
  EXPECT_FALSE(Condition(status, "Fresh").value("lastTransitionTime", "").empty());
  EXPECT_EQ(status["discovered"]["newestBackup"].value("id", ""), NewestBackupId());
  EXPECT_EQ(status["activation"].value("phase", ""), "None");
  EXPECT_EQ(status.value("observedGeneration", 0), 1);
  std::optional<repo::StandbyCursor> cursor = Cursor("shop-dr");
  ASSERT_TRUE(cursor.has_value()) << serve_.Logs();
  EXPECT_EQ(cursor->backup_id, NewestBackupId());
  EXPECT_GE(MetricSample(serve_.Metrics(), "hasteward_standby_condition",
                         "standby=\"shop-dr\",condition=\"BucketReadable\""),
            1);

  // The invalid one says why, and runs nothing.
  json bad = StatusOf("shop-bad");
  EXPECT_EQ(Condition(bad, "Ready").value("status", ""), "False") << bad.dump();
  EXPECT_EQ(Condition(bad, "Ready").value("reason", ""), "InvalidSpec") << bad.dump();
  EXPECT_NE(Condition(bad, "Ready").value("message", "").find("verifySchedule"), std::string::npos)
      << bad.dump();
  EXPECT_TRUE(Condition(bad, "BucketReadable").empty()) << bad.dump();
  EXPECT_FALSE(Cursor("shop-bad").has_value());

  // Deleted: its standby stops (no more discoveries, the cursor is no longer refreshed).
  CmdResult deleted = Kubectl({"delete", "standbycluster", "shop-dr"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return serve_.Logs().find("standby resource deleted") != std::string::npos &&
               MetricSample(serve_.Metrics(), "hasteward_standby_discoveries_total",
                            "standby=\"shop-dr\"") < 0;
      },
      15s))
      << serve_.Logs();
  const int64_t last_written = Cursor("shop-dr")->written_unix;
  EXPECT_FALSE(core::PollUntil([&] { return Cursor("shop-dr")->written_unix > last_written; }, 5s))
      << "a deleted standby still refreshes its cursor";
  EXPECT_EQ(serve_.Stop(), 0) << serve_.Logs();
}

}  // namespace
}  // namespace hasteward::testing
