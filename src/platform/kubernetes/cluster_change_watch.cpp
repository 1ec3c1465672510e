#include "platform/kubernetes/cluster_change_watch.h"

#include <chrono>

#include "core/log.h"

namespace hasteward::platform::kubernetes {

ClusterChangeWatch::ClusterChangeWatch(std::shared_ptr<const KubeClient> client,
                                       const std::string& ns,
                                       const std::vector<KubeResource>& resources)
    : client_(std::move(client)) {
  for (const auto& resource : resources) {
    watches_.push_back(std::make_unique<ResourceWatch>(*client_, resource, ns, ListOptions{}));
  }
  for (size_t n = 0; n < watches_.size(); ++n) {
    ResourceWatch* watch = watches_[n].get();
    std::string what = resources[n].plural + "." + resources[n].group;
    threads_.emplace_back([this, watch, what] { Follow(*watch, what); });
  }
}

ClusterChangeWatch::~ClusterChangeWatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  for (auto& watch : watches_)
    watch->Stop();
  for (auto& thread : threads_)
    thread.join();
}

void ClusterChangeWatch::Follow(ResourceWatch& watch, const std::string& what) {
  bool failing = false;
  while (!stopping_) {
    auto event = watch.Next();
    if (stopping_)
      return;
    if (event.ok()) {
      if (failing)
        core::LogInfo("cluster watch resumed", {{"resource", what}});
      failing = false;
      changed_ = true;
      continue;
    }
    // Logged once per outage, not once a second. A resource the API does not serve (an operator
    // not installed) fails the same way for ever; the operator still works from its resyncs.
    if (!failing) {
      core::LogWarn("cluster watch failed; retrying every second",
                    {{"resource", what}, {"error", event.status().message()}});
    }
    failing = true;
    std::unique_lock<std::mutex> lock(mu_);
    stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_.load(); });
  }
}

}  // namespace hasteward::platform::kubernetes
