#include "platform/platform.h"

#include "platform/operator_resources.h"
#include "platform/operator_switchover.h"

namespace hasteward::platform {

core::Status Platform::StartInstance(const Cluster& c, const Instance& i) {
  HS_ASSIGN_OR_RETURN(auto handle, OpenInstance(c, i));
  return handle->Start();
}

core::Status Platform::BootstrapInstance(const Cluster& c, const Instance& i) {
  HS_ASSIGN_OR_RETURN(auto handle, OpenInstance(c, i));
  return handle->StartNewCluster(InstanceHandle::kDefaultStartTimeout);
}

core::Status Platform::StopInstanceWithin(const Cluster& c, const Instance& i,
                                          std::chrono::milliseconds timeout) {
  HS_ASSIGN_OR_RETURN(auto handle, OpenInstance(c, i));
  return handle->Stop(timeout);
}

core::Result<bool> Platform::IsRunning(const Cluster& c, const Instance& i) {
  HS_ASSIGN_OR_RETURN(auto handle, OpenInstance(c, i));
  return handle->IsRunning();
}

core::Result<std::unique_ptr<core::Subprocess>> Platform::Exec(const Cluster& c, const Instance& i,
                                                               core::SubprocessOptions options) {
  HS_ASSIGN_OR_RETURN(auto handle, OpenInstance(c, i));
  return handle->Exec(std::move(options));
}

core::Result<std::unique_ptr<ClusterChangeFeed>> Platform::WatchClusters() {
  return std::unique_ptr<ClusterChangeFeed>();
}

core::Status Platform::RecordEvent(const Cluster& /*cluster*/, const ClusterEvent& /*event*/) {
  return core::Status::Ok();
}

core::Result<std::unique_ptr<LeaderElection>> Platform::OpenLeaderElection(
    const LeaderElectionSettings& settings) {
  HS_TRY(settings.Validate());
  return std::unique_ptr<LeaderElection>();
}

core::Result<std::unique_ptr<OperatorResources>> Platform::OpenOperatorResources() {
  return std::unique_ptr<OperatorResources>();
}

core::Result<std::unique_ptr<OperatorSwitchover>> Platform::OpenOperatorSwitchover(
    const Cluster& /*c*/) {
  return std::unique_ptr<OperatorSwitchover>();
}

}  // namespace hasteward::platform
