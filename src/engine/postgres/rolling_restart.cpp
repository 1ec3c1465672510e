#include "engine/postgres/rolling_restart.h"

#include "core/poll_until.h"
#include "engine/instance_handles.h"
#include "engine/postgres/pg_connection.h"

namespace hasteward::engine::postgres {

namespace {

constexpr std::chrono::seconds kServingTimeout{120};

// Whether the restarted instance does its job again: the primary takes connections out of
// recovery, a standby is in recovery and its WAL receiver streams.
bool Serving(const platform::InstanceHandle& handle, const InstanceReconfigurePlan& plan) {
  auto conn = PgConnection::ConnectInstance(handle);
  if (!conn.ok())
    return false;
  auto recovery = (*conn)->QueryValue("SELECT pg_is_in_recovery()");
  if (!recovery.ok() || !*recovery)
    return false;
  if (plan.primary)
    return **recovery == "f";
  auto receiver = (*conn)->QueryValue("SELECT status FROM pg_stat_wal_receiver");
  return **recovery == "t" && receiver.ok() && receiver->value_or("") == "streaming";
}

core::Status WaitServing(InstanceHandles& handles, const InstanceReconfigurePlan& plan,
                         const std::string& after) {
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(plan.instance));
  if (core::PollUntil([&] { return Serving(*handle, plan); }, kServingTimeout,
                      std::chrono::milliseconds(250))) {
    return core::Status::Ok();
  }
  return core::Status(core::ErrorCode::kTimeout,
                      "'" + plan.instance.name + "' did not serve again within " +
                          std::to_string(kServingTimeout.count()) + " s after " + after,
                      "run 'hasteward triage'; the instances after it were not restarted");
}

// Whether the standby replayed the primary's WAL up to `lsn`.
bool Replayed(const platform::InstanceHandle& standby, const std::string& lsn_literal) {
  auto conn = PgConnection::ConnectInstance(standby);
  if (!conn.ok())
    return false;
  auto replayed =
      (*conn)->QueryValue("SELECT pg_last_wal_replay_lsn() >= " + lsn_literal + "::pg_lsn");
  return replayed.ok() && replayed->value_or("") == "t";
}

// After the primary restarted first: waits until every standby replayed the WAL the primary wrote
// at its start, which records the new hot-standby limits. A standby stopped before that restarts
// from a position where the primary's old, higher limit is in force and refuses to run.
core::Status WaitStandbysReplayed(InstanceHandles& handles, const ReconfigurePlan& plan,
                                  const InstanceReconfigurePlan& primary) {
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * primary_handle, handles.Open(primary.instance));
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*primary_handle));
  HS_ASSIGN_OR_RETURN(auto lsn, conn->QueryValue("SELECT pg_current_wal_lsn()"));
  HS_ASSIGN_OR_RETURN(std::string literal, conn->QuoteLiteral(lsn.value_or("0/0")));
  for (const auto& instance : plan.instances) {
    if (instance.primary)
      continue;
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * standby, handles.Open(instance.instance));
    if (!core::PollUntil([&] { return Replayed(*standby, literal); }, kServingTimeout,
                         std::chrono::milliseconds(250))) {
      return core::Status(core::ErrorCode::kTimeout,
                          "'" + instance.instance.name + "' did not replay the restarted " +
                              "primary's WAL within " + std::to_string(kServingTimeout.count()) +
                              " s",
                          "run 'hasteward triage'; the standbys were not restarted");
    }
  }
  return core::Status::Ok();
}

core::Status RestartOne(InstanceHandles& handles, const InstanceReconfigurePlan& plan,
                        const std::function<void(const std::string&)>& log) {
  if (log)
    log("restarting '" + plan.instance.name + "'");
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(plan.instance));
  HS_TRY(handle->Stop(platform::InstanceHandle::kDefaultStopTimeout)
             .Wrap("stop '" + plan.instance.name + "' for the restart"));
  HS_TRY(handle->Start().Wrap("start '" + plan.instance.name + "' after the restart"));
  return WaitServing(handles, plan, "its restart");
}

}  // namespace

core::Status RollingRestart(InstanceHandles& handles, const ReconfigurePlan& plan,
                            const std::function<void(const std::string&)>& log) {
  bool primary_first = plan.primary_restarts_first;
  for (bool primary_pass : {primary_first, !primary_first}) {
    for (const auto& instance : plan.instances) {
      if (instance.primary != primary_pass)
        continue;
      HS_TRY(RestartOne(handles, instance, log));
      if (instance.primary && primary_first)
        HS_TRY(WaitStandbysReplayed(handles, plan, instance));
    }
  }
  // The standbys lost their primary during its restart: done when they stream again.
  for (const auto& instance : plan.instances) {
    if (!instance.primary)
      HS_TRY(WaitServing(handles, instance, "the primary's restart"));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::engine::postgres
