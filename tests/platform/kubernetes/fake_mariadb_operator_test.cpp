// FakeMariaDbOperator's own behaviour, which the Galera heal through the API relies on the fake to
// have because the real mariadb-operator has it: the operator reconciles an unsuspended MariaDB's
// StatefulSet back to the MariaDB's spec.replicas, so a scale-down without a suspend is undone
// (this is why the heal suspends the MariaDB before it scales the StatefulSet past a node).
#include "support/fake_mariadb_operator.h"

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/fake_kube_operators.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;

TEST(FakeMariaDbOperatorTest, AStatefulSetScaledDownWithoutASuspendIsScaledBack) {
  auto sandbox = SandboxCluster::Create({.engine = platform::EngineKind::kMariadb,
                                         .instances = 1,
                                         .name = "solo",
                                         .ns = kPlatformNamespace});
  ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
  auto api = FakeKubeApi::Start();
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  ASSERT_TRUE(PublishSandboxAsMariaDb(**api, **sandbox, kPlatformNamespace).ok());
  auto op = FakeMariaDbOperator::Start(**api, **sandbox, kPlatformNamespace);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  const FakeKubeResource& sets = *(*api)->FindResource("apps", "statefulsets");
  auto replicas = [&] {
    return (*api)
        ->store()
        .Get(sets, kPlatformNamespace, "solo")
        .body.value("/spec/replicas"_json_pointer, -1);
  };
  ASSERT_EQ(replicas(), 1);

  (*api)->store().Patch(sets, kPlatformNamespace, "solo", FakePatchType::kMerge,
                        {{"spec", {{"replicas", 0}}}}, /*status_only=*/false);

  EXPECT_TRUE(core::PollUntil([&] { return replicas() == 1; }, std::chrono::seconds(5)))
      << "mariadb-operator sets an unsuspended MariaDB's StatefulSet back to its size; "
      << (*op)->last_error();
  EXPECT_EQ(
      (*api)->store().Get(*(*api)->FindResource("", "pods"), kPlatformNamespace, "solo-0").code,
      200)
      << "the pod was never removed";
  auto alive = (*sandbox)->Sql(0, "SELECT 1");
  EXPECT_TRUE(alive.ok()) << "its server kept running: " << alive.status().ToString();
  EXPECT_EQ((*op)->last_error(), "");
}

}  // namespace
}  // namespace hasteward::testing
