// PgSwitchover::PlanFailover / RunFailover: promote the most advanced standby when the primary is
// down, and leave the old primary fenced in its data directory until `repair` re-clones it.
#include "core/wait_for.h"
#include "engine/postgres/cluster_view.h"
#include "engine/postgres/fence.h"
#include "engine/postgres/promotion.h"
#include "engine/postgres/switchover.h"
#include "engine/postgres/switchover_decision.h"
#include "engine/postgres/synchronous_primary.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/switchover_skeleton.h"
#include "platform/peer_address.h"

namespace hasteward::engine::postgres {

namespace {

core::Status SafetyStop(std::string message, std::string hint = {}) {
  return {core::ErrorCode::kSafetyStop, std::move(message), std::move(hint)};
}

// The primary that went down: the silent instance the standbys' primary_conninfo names, else the
// only silent instance. Fenced instances (an earlier failover's old primary) are not candidates.
core::Result<const ObservedInstance*> FindOldPrimary(const std::vector<ObservedInstance>& seen) {
  std::vector<const ObservedInstance*> silent, named;
  for (const auto& o : seen) {
    if (o.answers() || o.fence)
      continue;
    silent.push_back(&o);
    for (const auto& s : seen) {
      // A standby names its upstream by the peer address.
      if (s.standby() && s.state->upstream_port == platform::PeerPort(o.instance) &&
          s.state->upstream_host == platform::PeerHost(o.instance)) {
        named.push_back(&o);
        break;
      }
    }
  }
  if (named.size() == 1)
    return named[0];
  if (named.empty() && silent.size() == 1)
    return silent[0];
  return SafetyStop(silent.empty() ? "every instance answers, none as a primary"
                                   : "cannot tell which of the silent instances was the primary",
                    "run `hasteward triage`; bring the instances up or repair the cluster");
}

std::vector<StandbyPosition> Positions(const std::vector<ObservedInstance>& seen,
                                       const ObservedInstance& old) {
  std::vector<StandbyPosition> out;
  for (const auto& o : seen) {
    if (&o == &old || o.fence)
      continue;
    StandbyPosition p;
    p.name = o.instance.name;
    p.ordinal = o.instance.ordinal;
    p.reachable = o.standby();
    p.error = o.error;
    if (o.state) {
      p.timeline = o.state->timeline;
      p.receive_lsn = o.state->receive_lsn;
      p.replay_lsn = o.state->replay_lsn;
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

core::Result<SwitchoverPlan> PgSwitchover::PlanFailover(platform::Platform& platform,
                                                        const platform::Cluster& cluster,
                                                        const SwitchoverOptions& options) {
  InstanceHandles handles(platform, cluster);
  auto seen = ObserveCluster(handles);
  auto primaries = Primaries(seen);
  if (!primaries.empty()) {
    return SafetyStop("the primary '" + primaries[0]->instance.name + "' answers",
                      "use `hasteward switchover` to change a running primary");
  }
  HS_ASSIGN_OR_RETURN(const ObservedInstance* old, FindOldPrimary(seen));
  HS_ASSIGN_OR_RETURN(
      FailoverChoice choice,
      ChooseFailoverCandidate(Positions(seen, *old), options.candidate, options.force));
  SwitchoverPlan plan;
  plan.old_primary = old->instance;
  for (const auto& o : seen) {
    if (o.instance.name == choice.name) {
      plan.candidate = o.instance;
    } else if (o.standby() && !o.fence) {
      plan.others.push_back(o.instance);
    }
  }
  plan.reason = choice.reason;
  for (const auto& overridden : choice.overridden)
    plan.reason += "; forced past: " + overridden;
  if (options.require_sync) {
    // Every standby's position was read (ChooseFailoverCandidate refuses otherwise unless forced,
    // listed above), so with a synchronous primary the most advanced standby holds every commit
    // it acknowledged.
    auto old_handle = handles.Open(old->instance);
    auto sync = old_handle.ok() ? RequireSynchronousPrimary(**old_handle)
                                : core::Result<std::string>(old_handle.status());
    if (!sync.ok() && !options.force)
      return sync.TakeStatus();
    plan.reason += sync.ok() ? "; synchronous (" + *sync + "), every standby read"
                             : "; forced past: " + sync.status().message();
  }
  const std::string old_name = "'" + old->instance.name + "'", cand = "'" + choice.name + "'";
  plan.steps = {"pre-check: " + old_name + " still does not answer; " + cand + " is a standby",
                "fence: stop " + old_name +
                    " if it still runs; standby.signal and a fence marker "
                    "in its data directory",
                "prove-fence: " + old_name + " is down and its fence is readable",
                "catch-up: " + cand + " replays all the WAL it received",
                "promote: pg_promote on " + cand,
                "repoint: " + std::to_string(plan.others.size()) + " other standby(s) follow " +
                    cand + "; " + old_name + " stays fenced until `hasteward repair`",
                "prove-writable: a write commits on " + cand};
  return plan;
}

namespace {

class FailoverRun final : public SwitchoverSteps {
 public:
  FailoverRun(platform::Platform& platform, const platform::Cluster& cluster,
              const SwitchoverPlan& plan, const SwitchoverOptions& options)
      : handles_(platform, cluster), plan_(plan), options_(options) {}

  core::Result<std::string> PreCheck() override {
    auto seen = ObserveCluster(handles_);
    auto primaries = Primaries(seen);
    if (!primaries.empty()) {
      return SafetyStop("'" + primaries[0]->instance.name + "' answers as a primary again",
                        "use `hasteward switchover`, or plan the failover again");
    }
    for (const auto& o : seen) {
      if (o.instance.name == plan_.candidate.name && o.standby())
        return "no primary answers; '" + o.instance.name + "' answers as a standby";
    }
    return SafetyStop("'" + plan_.candidate.name + "' no longer answers as a standby",
                      "plan the failover again");
  }

  // The old primary may be hung rather than dead: stop it, then persist the fence so that it can
  // never come back writable (a restarted old primary next to the promoted one forks the data).
  core::Result<std::string> Fence() override {
    const platform::Instance& old = plan_.old_primary;
    std::string detail;
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles_.Open(old));
    auto running = handle->IsRunning();
    if (running.ok() && *running) {
      HS_TRY(handle->Fence(options_.timeout).Wrap("stop the unresponsive '" + old.name + "'"));
      detail = "stopped the unresponsive '" + old.name + "'; ";
    } else if (!running.ok()) {
      if (!options_.force) {
        return SafetyStop(
            "cannot tell whether '" + old.name + "' runs: " + running.status().message(),
            "stop it by other means, then retry with --force");
      }
      detail = "could not check '" + old.name + "' (forced); ";
    }
    core::Status persisted =
        PersistFence(*handle, "old primary fenced by a failover to '" + plan_.candidate.name +
                                  "': it may hold commits the new primary lacks; rejoin it with "
                                  "`hasteward repair`");
    if (!persisted.ok()) {
      if (!options_.force) {
        return SafetyStop("cannot fence '" + old.name + "': " + persisted.message(),
                          "make sure it cannot start as a primary, then retry with --force");
      }
      return detail + "fence not persisted (forced): " + persisted.message();
    }
    return detail + "standby.signal and fence marker persisted in '" + old.name + "'";
  }

  core::Result<std::string> ProveFence() override {
    const platform::Instance& old = plan_.old_primary;
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles_.Open(old));
    auto running = handle->IsRunning();
    bool down = running.ok() && !*running && !ReadServerState(*handle).ok();
    bool fenced = ReadFence(*handle).has_value();
    if (down && fenced)
      return "'" + old.name + "' is down and carries its fence";
    if (!options_.force) {
      return SafetyStop("'" + old.name + "' is " + (down ? "down" : "not proven down") +
                        (fenced ? " and fenced" : " without a readable fence"));
    }
    return std::string("fence of '" + old.name + "' not proven (forced)");
  }

  // A promotion ends recovery at whatever was replayed; waiting for the replay of everything
  // received keeps the commits the standby already holds.
  core::Result<std::string> CatchUp() override {
    const platform::Instance& candidate = plan_.candidate;
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles_.Open(candidate));
    uint64_t replayed = 0;
    HS_TRY(core::WaitFor(
        "'" + candidate.name + "' to replay all the WAL it received", options_.timeout,
        [&]() -> core::Result<bool> {
          HS_ASSIGN_OR_RETURN(ServerState s, ReadServerState(*handle));
          replayed = s.replay_lsn.value_or(0);
          return s.in_recovery && replayed >= s.receive_lsn.value_or(0);
        },
        core::SwitchoverWait()));
    promoted_at_ = FormatLsn(replayed);
    return "'" + candidate.name + "' replayed through " + promoted_at_;
  }

  core::Result<std::string> Promote() override {
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * candidate, handles_.Open(plan_.candidate));
    return postgres::Promote(*candidate, options_.timeout);
  }
  core::Result<std::string> Repoint() override {
    return RepointStandbys(handles_, plan_.others, plan_.candidate, options_.timeout);
  }
  core::Result<std::string> ProveWritable() override {
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * candidate, handles_.Open(plan_.candidate));
    return postgres::ProveWritable(*candidate);
  }
  // The primary was down before we started, and its fence stays (a rerun or `repair` decides):
  // undoing it could only bring back the instance that failed.
  bool NeedsUndo() const override { return false; }
  std::string Undo() override { return std::string(); }
  std::string PromotedAt() const override { return promoted_at_; }

 private:
  InstanceHandles handles_;  // one per instance, for the whole run
  const SwitchoverPlan& plan_;
  const SwitchoverOptions& options_;
  std::string promoted_at_;
};

}  // namespace

SwitchoverReport PgSwitchover::RunFailover(platform::Platform& platform,
                                           const platform::Cluster& cluster,
                                           const SwitchoverPlan& plan,
                                           const SwitchoverOptions& options) {
  FailoverRun run(platform, cluster, plan, options);
  return RunSwitchoverSteps(plan, run);
}

}  // namespace hasteward::engine::postgres
