// MariadbSwitchover::PlanFailover and RunFailover: the primary is down; the most advanced replica
// applies everything it received, is promoted, the others follow it, and the old primary is left
// fenced in its configuration (and at runtime if it answers again) until `repair` rejoins it.
#include "engine/mariadb/failover_checks.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/persisted_fence.h"
#include "engine/mariadb/promotion.h"
#include "engine/mariadb/semisync_primary.h"
#include "engine/mariadb/semisync_role.h"
#include "engine/mariadb/switchover.h"
#include "engine/switchover_skeleton.h"

namespace hasteward::engine::mariadb {

namespace {

class FailoverRun final : public SwitchoverSteps {
 public:
  FailoverRun(platform::Platform& platform, const platform::Cluster& cluster,
              const SwitchoverPlan& plan, const SwitchoverOptions& options)
      : handles_(platform, cluster), plan_(plan), options_(options) {}

  core::Result<std::string> PreCheck() override;
  core::Result<std::string> Fence() override;
  core::Result<std::string> ProveFence() override;
  core::Result<std::string> CatchUp() override;
  core::Result<std::string> Promote() override;
  core::Result<std::string> Repoint() override;
  core::Result<std::string> ProveWritable() override;
  // The primary was down before the failover began, and its fence stays (a rerun or `repair`
  // decides): an undo could only bring back the instance that failed.
  bool NeedsUndo() const override { return false; }
  std::string Undo() override { return std::string(); }
  std::string PromotedAt() const override { return received_; }

 private:
  core::Result<std::string> StopTheOldPrimary();

  InstanceHandles handles_;                  // one per instance, for the whole run
  platform::InstanceHandle* old_ = nullptr;  // opened by Fence, its first step on it
  platform::InstanceHandle* candidate_handle_ = nullptr;
  const SwitchoverPlan& plan_;
  const SwitchoverOptions& options_;
  bool semisync_ = true;
  std::string received_;
  std::vector<platform::Instance> others_;
  std::string skipped_;
  std::unique_ptr<MariadbConnection> candidate_;
  bool fence_persisted_ = false;
};

core::Result<std::string> FailoverRun::PreCheck() {
  HS_ASSIGN_OR_RETURN(candidate_handle_, handles_.Open(plan_.candidate));
  std::vector<InstanceProbe> probes = ProbeInstances(handles_, false);
  HS_ASSIGN_OR_RETURN(
      FailoverTopology topology,
      CheckFailover(handles_.cluster(), probes,
                    options_.candidate.empty() ? plan_.candidate.name : options_.candidate,
                    options_.force));
  if (topology.candidate->instance->name != plan_.candidate.name) {
    return core::Status(core::ErrorCode::kSafetyStop, "the candidate changed since the plan",
                        "run the failover again");
  }
  semisync_ = topology.semisync;
  received_ = topology.candidate_received;
  for (const auto* other : topology.others) {
    if (other->status.ok()) {
      others_.push_back(*other->instance);
    } else {
      skipped_ += (skipped_.empty() ? "'" : ", '") + other->instance->name + "'";
    }
  }
  HS_ASSIGN_OR_RETURN(candidate_, ConnectForWait(*candidate_handle_, options_.timeout));
  return topology.choice.reason + "; semi-sync: " + (semisync_ ? "on" : "off");
}

core::Result<std::string> FailoverRun::Fence() {
  HS_ASSIGN_OR_RETURN(std::string stopped, StopTheOldPrimary());
  // Why persisted: the old primary is down now, but whatever restarts it (a supervisor, a host
  // reboot) would bring it back writable beside the new primary.
  core::Status persisted = PersistReadOnlyFence(*old_);
  if (!persisted.ok() && !options_.force) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "cannot fence the old primary '" + plan_.old_primary.name +
                            "' in its configuration: " + persisted.message(),
                        "fix the config file, or --force to promote anyway (then keep '" +
                            plan_.old_primary.name + "' down until it is repaired)");
  }
  fence_persisted_ = persisted.ok();
  std::string detail = fence_persisted_
                           ? "read_only = ON written to " + plan_.old_primary.config_file
                           : "NOT persisted (forced): " + persisted.message();
  auto conn = MariadbConnection::ConnectInstance(*old_, options_.timeout);
  if (conn.ok()) {
    HS_TRY((*conn)->Execute("SET GLOBAL read_only = ON"));
    detail += "; it answers: read_only=ON now";
  } else {
    detail += "; it is down";
  }
  return "'" + plan_.old_primary.name + "': " + stopped + detail;
}

// The old primary answered no write, but it may be hung rather than dead (stopped, swapping, cut
// off): one that resumes after the promotion takes writes beside the new primary. So a server
// process that still runs is stopped through the platform (on the local platform a stop that does
// not end it becomes kill -9) before anything is promoted.
core::Result<std::string> FailoverRun::StopTheOldPrimary() {
  const platform::Instance& old = plan_.old_primary;
  HS_ASSIGN_OR_RETURN(old_, handles_.Open(old));
  auto running = old_->IsRunning();
  if (!running.ok()) {
    if (!options_.force) {
      return core::Status(
          core::ErrorCode::kSafetyStop,
          "cannot tell whether '" + old.name + "' still runs: " + running.status().message(),
          "stop it by other means, then run the failover again with --force");
    }
    return std::string("could not check whether it runs (forced); ");
  }
  if (!*running)
    return std::string();
  HS_TRY(old_->Fence(options_.timeout).Wrap("stop the unresponsive '" + old.name + "'"));
  return std::string("stopped the unresponsive server; ");
}

core::Result<std::string> FailoverRun::ProveFence() {
  if (fence_persisted_ && !ReadsPersistedFence(*old_)) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "the fence written to " + plan_.old_primary.config_file + " is not there when read back",
        "check the file system of '" + plan_.old_primary.name + "'");
  }
  auto conn = MariadbConnection::ConnectInstance(*old_, options_.timeout);
  if (conn.ok()) {
    HS_ASSIGN_OR_RETURN(auto read_only, (*conn)->QueryValue("SELECT @@global.read_only"));
    if (read_only.value_or("0") != "1") {
      return core::Status(core::ErrorCode::kSafetyStop,
                          "the old primary '" + plan_.old_primary.name + "' is writable again",
                          "stop it, then run the failover again");
    }
  }
  return fence_persisted_ ? "the config of '" + plan_.old_primary.name + "' keeps it read-only"
                          : "not proven (forced)";
}

core::Result<std::string> FailoverRun::CatchUp() {
  // The candidate applies everything it received before it takes writes: what it received from
  // the old primary is acknowledged data (semi-sync acknowledges on receipt).
  HS_ASSIGN_OR_RETURN(std::string detail, WaitAppliedExactly(*candidate_, plan_.candidate.name,
                                                             received_, options_.timeout));
  return detail + " (everything it received)";
}

core::Result<std::string> FailoverRun::Promote() {
  HS_TRY(RemovePersistedFence(*candidate_handle_));
  HS_TRY(mariadb::Promote(*candidate_, semisync_));
  std::string detail = "'" + plan_.candidate.name + "' replicates from no one and is writable";
  if (semisync_)
    detail += SemisyncRoleDetail(*candidate_handle_, *candidate_, true);
  return detail;
}

core::Result<std::string> FailoverRun::Repoint() {
  std::string names, persisted;
  for (const auto& other : others_) {
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * other_handle, handles_.Open(other));
    HS_ASSIGN_OR_RETURN(auto conn,
                        MariadbConnection::ConnectInstance(*other_handle, options_.timeout));
    HS_TRY(mariadb::Repoint(*conn, handles_.cluster(), plan_.candidate, {semisync_, ""})
               .Wrap("repoint '" + other.name + "'"));
    names += (names.empty() ? "'" : ", '") + other.name + "'";
    if (semisync_)
      persisted += SemisyncRoleDetail(*other_handle, *conn, false);
  }
  std::string detail = names.empty()
                           ? "no other replica"
                           : names + " replicate from '" + plan_.candidate.name + "'" + persisted;
  if (!skipped_.empty())
    detail += "; not answering, left as they were: " + skipped_;
  return detail + "; '" + plan_.old_primary.name + "' stays fenced until 'hasteward repair'";
}

core::Result<std::string> FailoverRun::ProveWritable() {
  const platform::InstanceHandle* follower = nullptr;
  if (!others_.empty()) {
    HS_ASSIGN_OR_RETURN(follower, handles_.Open(others_.front()));
  }
  return mariadb::ProveWritable(*candidate_handle_, follower, options_.timeout);
}

}  // namespace

core::Result<SwitchoverPlan> MariadbSwitchover::PlanFailover(platform::Platform& platform,
                                                             const platform::Cluster& cluster,
                                                             const SwitchoverOptions& options) {
  InstanceHandles handles(platform, cluster);
  std::vector<InstanceProbe> probes = ProbeInstances(handles, false);
  HS_ASSIGN_OR_RETURN(FailoverTopology topology,
                      CheckFailover(cluster, probes, options.candidate, options.force));
  SwitchoverPlan plan;
  plan.old_primary = *topology.old_primary;
  plan.candidate = *topology.candidate->instance;
  for (const auto* other : topology.others)
    plan.others.push_back(*other->instance);
  plan.reason = topology.choice.reason;
  if (options.require_sync) {
    // Every replica's position was read (CheckFailover refuses otherwise unless forced), so with
    // a semi-sync primary the most advanced replica holds every commit it acknowledged.
    std::vector<const InstanceProbe*> replicas = topology.others;
    replicas.push_back(topology.candidate);
    auto old_handle = handles.Open(plan.old_primary);
    auto sync = old_handle.ok() ? RequireSemisyncPrimary(**old_handle, replicas)
                                : core::Result<std::string>(old_handle.status());
    if (!sync.ok() && !options.force)
      return sync.TakeStatus();
    plan.reason += sync.ok() ? "; semi-sync: " + *sync + "; every replica read"
                             : "; forced past: " + sync.status().message();
  }
  const std::string& old_name = plan.old_primary.name;
  const std::string& new_name = plan.candidate.name;
  plan.steps = {
      "pre-check: '" + old_name + "' does not answer; '" + new_name + "' holds " +
          topology.candidate_received,
      "fence '" + old_name + "': read_only = ON in " +
          (plan.old_primary.config_file.empty() ? std::string("(no config file)")
                                                : plan.old_primary.config_file) +
          " (and now, if it answers)",
      "prove-fence: the config file carries the fence when read back",
      "catch-up: '" + new_name + "' applies everything it received (" +
          topology.candidate_received + ")",
      "promote '" + new_name + "': STOP SLAVE, RESET SLAVE ALL, " +
          (topology.semisync ? "semi-sync master on, " : "") + "read_only=OFF",
      "repoint the other replicas to '" + new_name + "' (MASTER_USE_GTID=slave_pos)",
      "prove-writable: a probe write on '" + new_name + "' must be accepted",
  };
  return plan;
}

SwitchoverReport MariadbSwitchover::RunFailover(platform::Platform& platform,
                                                const platform::Cluster& cluster,
                                                const SwitchoverPlan& plan,
                                                const SwitchoverOptions& options) {
  FailoverRun run(platform, cluster, plan, options);
  return RunSwitchoverSteps(plan, run);
}

}  // namespace hasteward::engine::mariadb
