#include "support/mariadb_pod_rehearsal.h"

#include "core/poll_until.h"

namespace hasteward::testing {

namespace k8s = platform::kubernetes;
using nlohmann::json;

core::Status RehearseMariaDbPodHeal(RealKubeNode& node, platform::InstanceHandle& handle) {
  const std::string& ns = handle.cluster().ns;
  const std::string pod = handle.instance().name;
  constexpr std::chrono::milliseconds kShort{100};
  core::Status fenced = handle.Fence(kShort);
  if (fenced.code() != core::ErrorCode::kTimeout) {
    return core::Internal("fence without a controller: want a timeout, got " + fenced.ToString());
  }
  // The StatefulSet controller's part; the node's kubelet confirms the deletion.
  HS_TRY(node.admin().Delete(k8s::resources::kPods, ns, pod));
  // A bound pod is deleted gracefully: until the node confirms it, exec still reaches it and
  // no helper pod would be needed (the heal path this rehearses would not run).
  const bool gone = core::PollUntil(
      [&] {
        return node.admin().Get(k8s::resources::kPods, ns, pod).status().code() ==
               core::ErrorCode::kNotFound;
      },
      std::chrono::seconds(10));
  if (!gone) {
    return core::Internal("pod '" + ns + "/" + pod + "' was not removed within 10 s");
  }
  // The scheduler's and kubelet's part: the helper pod runs on the node.
  node.SetPodHooks({.unscheduled = [&](const json& unbound) {
    const std::string name = unbound.value("/metadata/name"_json_pointer, std::string());
    if (name == pod + "-hasteward-heal") {
      (void)node.RunPod(ns, name, {}, /*ready=*/true);
    }
  }});
  auto run = handle.Run({"true"});
  node.SetPodHooks({});
  if (!run.ok() || !run->status.ok()) {
    return core::Internal("exec in the helper pod: " +
                          (run.ok() ? run->err : run.status().ToString()));
  }
  if (!node.admin().Get(k8s::resources::kPods, ns, pod + "-hasteward-heal").ok()) {
    return core::Internal("the exec did not go through a helper pod");
  }
  core::Status started = handle.Start(kShort);
  if (started.code() != core::ErrorCode::kTimeout) {
    return core::Internal("start without a controller: want a timeout, got " + started.ToString());
  }
  return core::Status::Ok();
}

}  // namespace hasteward::testing
