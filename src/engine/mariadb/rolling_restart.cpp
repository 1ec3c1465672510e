#include "engine/mariadb/rolling_restart.h"

#include <cstdint>

#include "core/poll_until.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/mariadb_engine.h"

namespace hasteward::engine::mariadb {

namespace {

constexpr std::chrono::seconds kServingTimeout{120};

// Whether the restarted instance does its job again.
bool Serving(const platform::InstanceHandle& handle, const InstanceReconfigurePlan& plan,
             bool galera) {
  auto conn = MariadbConnection::ConnectInstance(handle);
  if (!conn.ok())
    return false;
  if (galera) {
    auto state = (*conn)->GlobalStatus("wsrep_local_state_comment");
    return state.ok() && state->value_or("") == "Synced";
  }
  if (plan.primary)
    return true;
  auto replication = (*conn)->Query("SHOW ALL SLAVES STATUS");
  std::string why;
  int lag = 0;
  // Lag is not waited for: the threads running means the replica catches up by itself.
  return replication.ok() && ReplicaHealthy(*replication, INT32_MAX, &why, &lag);
}

core::Status WaitServing(InstanceHandles& handles, const InstanceReconfigurePlan& plan, bool galera,
                         const std::string& after) {
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(plan.instance));
  if (core::PollUntil([&] { return Serving(*handle, plan, galera); }, kServingTimeout,
                      std::chrono::milliseconds(250))) {
    return core::Status::Ok();
  }
  return core::Status(core::ErrorCode::kTimeout,
                      "'" + plan.instance.name + "' did not serve again within " +
                          std::to_string(kServingTimeout.count()) + " s after " + after,
                      "run 'hasteward triage'; the instances after it were not restarted");
}

core::Status RestartOne(InstanceHandles& handles, const InstanceReconfigurePlan& plan, bool galera,
                        const std::function<void(const std::string&)>& log) {
  if (log)
    log("restarting '" + plan.instance.name + "'");
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(plan.instance));
  HS_TRY(handle->Stop(platform::InstanceHandle::kDefaultStopTimeout));
  HS_TRY(handle->Start());
  return WaitServing(handles, plan, galera, "its restart");
}

}  // namespace

core::Status RollingRestart(InstanceHandles& handles, const ReconfigurePlan& plan, bool galera,
                            const std::function<void(const std::string&)>& log) {
  for (bool primary_pass : {false, true}) {
    for (const auto& instance : plan.instances) {
      if (instance.primary == primary_pass)
        HS_TRY(RestartOne(handles, instance, galera, log));
    }
  }
  // The replicas lost their primary during its restart: done when they replicate again.
  for (const auto& instance : plan.instances) {
    if (!instance.primary)
      HS_TRY(WaitServing(handles, instance, galera, "the primary's restart"));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::engine::mariadb
