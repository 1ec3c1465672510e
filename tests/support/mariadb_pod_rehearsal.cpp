#include "support/mariadb_pod_rehearsal.h"

#include <atomic>
#include <thread>

namespace hasteward::testing {

using nlohmann::json;

core::Status RehearseMariaDbPodHeal(FakeKubeApi& api, platform::InstanceHandle& handle) {
  const FakeKubeResource& pods = *api.FindResource("", "pods");
  const std::string& ns = handle.cluster().ns;
  const std::string pod = handle.instance().name;
  constexpr std::chrono::milliseconds kShort{100};
  core::Status fenced = handle.Fence(kShort);
  if (fenced.code() != core::ErrorCode::kTimeout) {
    return core::Internal("fence without a controller: want a timeout, got " + fenced.ToString());
  }
  api.store().Delete(pods, ns, pod, json());  // the StatefulSet controller's part
  std::atomic<bool> done{false};
  std::thread kubelet([&] {
    while (!done) {
      FakeKubeReply helper = api.store().Get(pods, ns, pod + "-hasteward-heal");
      if (helper.code == 200 && helper.body.value("/status/phase"_json_pointer, "") != "Running") {
        api.store().Patch(pods, ns, pod + "-hasteward-heal", FakePatchType::kMerge,
                          {{"status", {{"phase", "Running"}}}}, /*status_only=*/true);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto run = handle.Run({"true"});
  done = true;
  kubelet.join();
  if (!run.ok() || !run->status.ok()) {
    return core::Internal("exec in the helper pod: " +
                          (run.ok() ? run->err : run.status().ToString()));
  }
  core::Status started = handle.Start(kShort);
  if (started.code() != core::ErrorCode::kTimeout) {
    return core::Internal("start without a controller: want a timeout, got " + started.ToString());
  }
  return core::Status::Ok();
}

}  // namespace hasteward::testing
