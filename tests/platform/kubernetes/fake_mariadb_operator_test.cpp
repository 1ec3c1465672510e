// FakeMariaDbOperator's own behaviour, which the Galera heal through the API relies on the fake to
// have because the real mariadb-operator has it: the operator reconciles an unsuspended MariaDB's
// StatefulSet back to the MariaDB's spec.replicas, so a scale-down without a suspend is undone
// (this is why the heal suspends the MariaDB before it scales the StatefulSet past a node).
#include "support/fake_mariadb_operator.h"

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/fake_kube_operators.h"
#include "support/operator_api.h"
#include "support/real_kube_operators.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;
using nlohmann::json;

TEST(FakeMariaDbOperatorTest, AStatefulSetScaledDownWithoutASuspendIsScaledBack) {
  auto sandbox = SandboxCluster::Create({.engine = platform::EngineKind::kMariadb,
                                         .instances = 1,
                                         .name = "solo",
                                         .ns = kPlatformNamespace});
  ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
  auto api = OperatorApi::Start(kPlatformNamespace, {kPlatformNamespace});
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  core::Status published = PublishSandboxAsMariaDb(api->node(), **sandbox, kPlatformNamespace);
  ASSERT_TRUE(published.ok()) << published.ToString();
  auto op = FakeMariaDbOperator::Start(api->node(), **sandbox, kPlatformNamespace);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  const k8s::KubeClient& admin = api->admin();
  auto replicas = [&] {
    auto set = admin.Get(k8s::resources::kStatefulSets, kPlatformNamespace, "solo");
    return set.ok() ? set->value("/spec/replicas"_json_pointer, -1) : -1;
  };
  ASSERT_EQ(replicas(), 1);
  const std::string first_uid = admin.Get(k8s::resources::kPods, kPlatformNamespace, "solo-0")
                                    ->value("/metadata/uid"_json_pointer, std::string());

  ASSERT_TRUE(admin
                  .Patch(k8s::resources::kStatefulSets, kPlatformNamespace, "solo",
                         k8s::PatchType::kMerge, {{"spec", {{"replicas", 0}}}})
                  .ok());

  EXPECT_TRUE(core::PollUntil([&] { return replicas() == 1; }, std::chrono::seconds(5)))
      << "mariadb-operator sets an unsuspended MariaDB's StatefulSet back to its size; "
      << (*op)->last_error();
  auto pod = admin.Get(k8s::resources::kPods, kPlatformNamespace, "solo-0");
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  EXPECT_EQ(pod->value("/metadata/uid"_json_pointer, std::string()), first_uid)
      << "the pod was never removed";
  auto alive = (*sandbox)->Sql(0, "SELECT 1");
  EXPECT_TRUE(alive.ok()) << "its server kept running: " << alive.status().ToString();
  EXPECT_EQ((*op)->last_error(), "");
}

}  // namespace
}  // namespace hasteward::testing
