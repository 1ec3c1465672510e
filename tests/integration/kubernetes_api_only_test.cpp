// `hasteward --platform kubernetes` from a host that reaches the API server and nothing else: the
// CLI runs in a network namespace of its own (support/isolated_netns.h) in which the only thing
// listening is FakeKubeApi (its socket made inside that namespace), while the database "pods"
// (sandbox instances) listen on the root namespace's loopback, reachable from the fake alone. A
// triage and a logical backup + damage + restore round trip pass through port-forward and exec
// with the engines unchanged.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/command.h"
#include "support/isolated_netns.h"
#include "support/kube_published_cluster.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;

struct ApiOnlyCase {
  platform::EngineKind engine;
  std::string cluster;
};

class KubernetesApiOnlyTest : public ::testing::TestWithParam<ApiOnlyCase> {
 protected:
  void SetUp() override {
    auto netns = IsolatedNetns::Start();
    ASSERT_TRUE(netns.ok()) << netns.status().ToString();
    netns_ = std::move(netns).value();
    auto listen = netns_->ListenOnLoopback();
    ASSERT_TRUE(listen.ok()) << listen.status().ToString();
    auto kube = KubePublishedCluster::Start({.engine = GetParam().engine,
                                             .name = GetParam().cluster,
                                             .instances = 2,
                                             .api_listen_fd = listen->Release()});
    ASSERT_TRUE(kube.ok()) << kube.status().ToString();
    kube_ = std::move(kube).value();
    kube_->env().SetCommandPrefix(netns_->EnterPrefix());
  }

  // Whether a TCP connection to 127.0.0.1:port succeeds from inside the namespace.
  bool ReachableInside(int port) const {
    std::vector<std::string> argv = netns_->EnterPrefix();
    argv.insert(argv.end(), {"timeout", "5", "bash", "-c",
                             "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port)});
    return RunCommand(argv).exit_code == 0;
  }

  std::unique_ptr<IsolatedNetns> netns_;
  std::unique_ptr<KubePublishedCluster> kube_;
};

TEST_P(KubernetesApiOnlyTest, TriageBackupAndRestoreReachThePodsOnlyThroughTheApiServer) {
  // The isolation is real: the databases cannot be dialled from where the CLI runs.
  for (const auto& instance : kube_->sandbox().cluster().instances) {
    ASSERT_FALSE(ReachableInside(instance.port)) << instance.name << " is reachable directly";
  }
  auto triage = kube_->Kube({"triage", "--json"});
  ASSERT_EQ(triage.exit_code, 0) << triage.out << triage.err;
  EXPECT_EQ(json::parse(triage.out)["verdict"], "healthy") << triage.out;
  EXPECT_GT(kube_->api().PortForwardsForTest(), 0);

  ASSERT_TRUE(kube_->LoadShopDataset().ok());
  auto before = kube_->ShopChecksums();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  auto backup = kube_->Kube({"backup", "--json"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  auto damaged = kube_->sandbox().Sql(0, "DELETE FROM orders WHERE id > 100;", "shop");
  ASSERT_TRUE(damaged.ok()) << damaged.status().ToString();
  ASSERT_NE(*kube_->ShopChecksums(), *before) << "the damage must show";
  auto restored = kube_->Kube({"restore", "--confirm-overwrite"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto after = kube_->ShopChecksums();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, *before);
}

INSTANTIATE_TEST_SUITE_P(Operators, KubernetesApiOnlyTest,
                         ::testing::Values(ApiOnlyCase{platform::EngineKind::kPostgres, "pg"},
                                           ApiOnlyCase{platform::EngineKind::kMariadb, "maria"}),
                         [](const ::testing::TestParamInfo<ApiOnlyCase>& param) {
                           return param.param.cluster;
                         });

}  // namespace
}  // namespace hasteward::testing
