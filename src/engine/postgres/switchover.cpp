// PgSwitchover::PlanSwitchover / RunSwitchover (failover is in failover.cpp).
#include "engine/postgres/switchover.h"

#include "core/wait_for.h"
#include "engine/postgres/cluster_view.h"
#include "engine/postgres/fence.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/promotion.h"
#include "engine/postgres/switchover_decision.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/switchover_skeleton.h"

namespace hasteward::engine::postgres {

namespace {

// Bound on bringing the old primary back after an abort: the writes are down until it is up.
constexpr std::chrono::seconds kUndoTimeout{30};

core::Status SafetyStop(std::string message, std::string hint = {}) {
  return {core::ErrorCode::kSafetyStop, std::move(message), std::move(hint)};
}

CandidateView ViewOf(const ObservedInstance& candidate, const ObservedInstance& primary) {
  const ServerState& c = *candidate.state;
  return {.name = candidate.instance.name,
          .in_recovery = c.in_recovery,
          .receiver_status = c.receiver_status,
          .follows_primary = StreamsFrom(c, candidate.instance, *primary.state, primary.instance),
          .timeline = c.timeline,
          .receive_lsn = c.receive_lsn.value_or(0),
          .replay_lsn = c.replay_lsn.value_or(0),
          .primary_timeline = primary.state->timeline,
          .primary_lsn = primary.state->current_lsn};
}

// The requested candidate, else the standby streaming from the primary that has replayed most
// (ties: lowest ordinal), which makes the catch-up wait shortest.
core::Result<const ObservedInstance*> ChooseCandidate(const std::vector<ObservedInstance>& seen,
                                                      const ObservedInstance& primary,
                                                      const std::string& requested) {
  const ObservedInstance* best = nullptr;
  for (const auto& o : seen) {
    if (!requested.empty()) {
      if (o.instance.name == requested)
        return &o;
      continue;
    }
    if (!o.standby() || o.fence || !ViewOf(o, primary).follows_primary)
      continue;
    if (best == nullptr || o.state->replay_lsn > best->state->replay_lsn)
      best = &o;
  }
  if (!requested.empty()) {
    return core::NotFound("no instance '" + requested + "' in this cluster",
                          "name one of its standbys with --to");
  }
  if (best == nullptr) {
    return SafetyStop("no standby streams from the primary '" + primary.instance.name + "'",
                      "repair the standbys first (`hasteward triage` shows them)");
  }
  return best;
}

std::vector<std::string> PlanLines(const SwitchoverPlan& plan) {
  const std::string old = "'" + plan.old_primary.name + "'", cand = "'" + plan.candidate.name + "'";
  return {"pre-check: " + cand + " streams from " + old + " with bounded lag",
          "fence: CHECKPOINT, fast shutdown of " + old + ", standby.signal in its data directory",
          "prove-fence: " + old + " is down and refuses connections; its final LSN from pg_control",
          "catch-up: wait until " + cand + " has replayed that LSN (else restart " + old +
              " as the primary)",
          "promote: pg_promote on " + cand,
          "repoint: restart " + old + " as a standby of " + cand + "; repoint " +
              std::to_string(plan.others.size()) + " other standby(s)",
          "prove-writable: a write commits on " + cand};
}

// A switchover that an earlier run began and did not finish (hasteward was killed): its old
// primary carries the switchover's fence, naming the candidate. Before the promotion no primary
// answers; after it the candidate does. With --to naming another instance, nothing resumes.
std::optional<core::Result<SwitchoverPlan>> PlanResume(
    const std::vector<ObservedInstance>& seen,
    const std::vector<const ObservedInstance*>& primaries, const SwitchoverOptions& options) {
  for (const auto& old : seen) {
    if (!old.fence || old.primary())
      continue;
    std::optional<std::string> candidate = InterruptedSwitchoverCandidate(*old.fence);
    if (!candidate || (!options.candidate.empty() && options.candidate != *candidate))
      continue;
    const ObservedInstance* target = nullptr;
    for (const auto& o : seen)
      target = o.instance.name == *candidate ? &o : target;
    if (target == nullptr)
      continue;
    bool promoted = primaries.size() == 1 && primaries[0] == target;
    if (!primaries.empty() && !promoted)
      continue;
    SwitchoverPlan plan;
    plan.old_primary = old.instance;
    plan.candidate = target->instance;
    for (const auto& o : seen) {
      if (o.standby() && &o != target && !o.fence)
        plan.others.push_back(o.instance);
    }
    plan.resumes_after = promoted ? SwitchoverStep::kPromote : SwitchoverStep::kFence;
    plan.reason = "finishing the interrupted switchover from '" + old.instance.name + "' to '" +
                  *candidate + "' (its fence is still in place)";
    plan.steps = PlanLines(plan);
    return plan;
  }
  // The candidate asked for is the primary already and nothing is left half-done: the switchover
  // happened (a rerun after the last steps of a killed run lands here), so only prove it.
  if (primaries.size() == 1 && !options.candidate.empty() &&
      primaries[0]->instance.name == options.candidate) {
    SwitchoverPlan plan;
    plan.old_primary = primaries[0]->instance;
    plan.candidate = primaries[0]->instance;
    plan.resumes_after = SwitchoverStep::kRepoint;
    plan.reason = "'" + options.candidate + "' is the primary already";
    plan.steps = {"prove-writable: a write commits on '" + options.candidate + "'"};
    return plan;
  }
  return std::nullopt;
}

}  // namespace

core::Result<SwitchoverPlan> PgSwitchover::PlanSwitchover(platform::Platform& platform,
                                                          const platform::Cluster& cluster,
                                                          const SwitchoverOptions& options) {
  InstanceHandles handles(platform, cluster);
  auto seen = ObserveCluster(handles);
  auto primaries = Primaries(seen);
  if (primaries.size() > 1) {
    return core::Status(core::ErrorCode::kSplitBrain, "more than one instance accepts writes",
                        "run `hasteward triage`, then `hasteward repair`");
  }
  if (auto resumed = PlanResume(seen, primaries, options))
    return *resumed;
  if (primaries.empty()) {
    return core::Status(core::ErrorCode::kUnreachable, "no primary answers",
                        "use `hasteward failover` to promote a standby");
  }
  const ObservedInstance& primary = *primaries[0];
  HS_ASSIGN_OR_RETURN(const ObservedInstance* candidate,
                      ChooseCandidate(seen, primary, options.candidate));
  if (!candidate->answers()) {
    return SafetyStop("'" + candidate->instance.name + "' does not answer (" + candidate->error +
                      ")");
  }
  std::string objection = SwitchoverCandidateObjection(ViewOf(*candidate, primary));
  if (!objection.empty()) {
    return SafetyStop("refusing to switch over to '" + candidate->instance.name +
                      "': " + objection);
  }
  SwitchoverPlan plan;
  plan.old_primary = primary.instance;
  plan.candidate = candidate->instance;
  for (const auto& o : seen) {
    // A standby fenced by an earlier failover may hold commits nobody else has: it waits for
    // `repair`, never for a silent repoint.
    if (o.standby() && &o != candidate && !o.fence)
      plan.others.push_back(o.instance);
  }
  plan.reason = (options.candidate.empty() ? "most replayed streaming standby: " : "requested: ") +
                FormatLsn(candidate->state->replay_lsn.value_or(0)) + ", primary at " +
                FormatLsn(primary.state->current_lsn);
  plan.steps = PlanLines(plan);
  return plan;
}

namespace {

// One switchover run; its methods are the steps of the skeleton (engine/switchover_skeleton.h).
class SwitchoverRun final : public SwitchoverSteps {
 public:
  SwitchoverRun(platform::Platform& platform, const platform::Cluster& cluster,
                const SwitchoverPlan& plan, const SwitchoverOptions& options)
      : handles_(platform, cluster), plan_(plan), options_(options) {}

  core::Result<std::string> PreCheck() override {
    if (plan_.resumes_after)
      return CheckResume();
    auto seen = ObserveCluster(handles_);
    auto primaries = Primaries(seen);
    if (primaries.size() != 1 || primaries[0]->instance.name != plan_.old_primary.name)
      return SafetyStop("the primary changed since the plan was made", "plan again");
    for (const auto& o : seen) {
      if (o.instance.name != plan_.candidate.name)
        continue;
      if (!o.answers())
        return SafetyStop("'" + o.instance.name + "' does not answer (" + o.error + ")");
      std::string objection = SwitchoverCandidateObjection(ViewOf(o, *primaries[0]));
      if (!objection.empty())
        return SafetyStop(objection);
      return "'" + o.instance.name + "' streams, replayed " +
             FormatLsn(o.state->replay_lsn.value_or(0)) + " of " +
             FormatLsn(primaries[0]->state->current_lsn);
    }
    return core::NotFound("'" + plan_.candidate.name + "' is no longer in the cluster");
  }

  core::Result<std::string> Fence() override {
    const platform::Instance& old = plan_.old_primary;
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles_.Open(old));
    {
      // CHECKPOINT first: the shutdown checkpoint then has little left to write, which keeps
      // the fast shutdown (the start of the write outage) short.
      HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*handle));
      HS_TRY(conn->Execute("CHECKPOINT"));
    }
    fence_started_ = true;
    // Persisted before the stop (standby.signal is read only at a start): if this run dies from
    // here on, whoever starts the old primary gets a read-only standby, never a second writable
    // instance, and a rerun finds which switchover to finish.
    HS_TRY(PersistFence(*handle, SwitchoverFenceReason(old.name, plan_.candidate.name)));
    // A fast shutdown ends the sessions, writes the shutdown checkpoint and waits until every
    // connected standby has flushed all WAL up to it before the server exits.
    HS_TRY(handle->Fence(options_.timeout));
    return "'" + old.name + "' stopped (fast shutdown); standby.signal persisted";
  }

  core::Result<std::string> ProveFence() override {
    const platform::Instance& old = plan_.old_primary;
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles_.Open(old));
    HS_ASSIGN_OR_RETURN(bool running, handle->IsRunning());
    if (running)
      return SafetyStop("'" + old.name + "' still runs after its fast shutdown");
    if (ReadServerState(*handle).ok())
      return SafetyStop("'" + old.name + "' still accepts connections after its shutdown");
    HS_ASSIGN_OR_RETURN(final_, ReadShutdownPosition(*handle));
    // A server that did not write a shutdown checkpoint ("in production": it crashed) has no
    // known final position: the candidate could be promoted short of it.
    if (!final_.clean()) {
      return SafetyStop("'" + old.name + "' did not shut down cleanly (pg_control: '" +
                        final_.cluster_state + "')");
    }
    return "'" + old.name +
           "' is down and refuses connections; its WAL ends with the shutdown "
           "checkpoint at " +
           FormatLsn(final_.checkpoint_lsn) + " on timeline " + std::to_string(final_.timeline);
  }

  core::Result<std::string> CatchUp() override {
    const platform::Instance& candidate = plan_.candidate;
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles_.Open(candidate));
    uint64_t replayed = 0;
    HS_TRY(core::WaitFor(
        "'" + candidate.name + "' to replay the old primary's WAL through " +
            FormatLsn(final_.checkpoint_lsn),
        options_.timeout,
        [&]() -> core::Result<bool> {
          HS_ASSIGN_OR_RETURN(ServerState s, ReadServerState(*handle));
          if (!s.in_recovery) {
            return SafetyStop("'" + candidate.name +
                              "' left recovery on its own during the switchover");
          }
          replayed = s.replay_lsn.value_or(0);
          return ReplayedShutdownCheckpoint(replayed, final_.checkpoint_lsn);
        },
        core::SwitchoverWait()));
    promoted_at_ = FormatLsn(replayed);
    return "'" + candidate.name + "' replayed through " + promoted_at_;
  }

  // After an abort before the promotion: the old primary becomes the writable primary again (the
  // candidate was never promoted, so there is still exactly one). Returns what happened, for the
  // report's message.
  std::string Undo() override {
    const platform::Instance& old = plan_.old_primary;
    auto handle = handles_.Open(old);
    core::Status st = handle.ok() ? LiftFence(**handle, /*writable=*/true) : handle.status();
    if (st.ok())
      st = (*handle)->Start();
    if (st.ok()) {
      st = core::WaitFor(
          "'" + old.name + "' to accept writes", kUndoTimeout,
          [&]() -> core::Result<bool> {
            HS_ASSIGN_OR_RETURN(ServerState s, ReadServerState(**handle));
            return !s.in_recovery;
          },
          core::SwitchoverWait());
    }
    if (st.ok())
      return "; the old primary '" + old.name + "' is writable again";
    return "; restarting the old primary '" + old.name + "' failed too (" + st.message() +
           "): remove standby.signal from its data directory and start it";
  }

  core::Result<std::string> Repoint() override {
    const platform::Instance& old = plan_.old_primary;
    // The other standbys first: the new primary's synchronous commits wait for them, and the old
    // primary's restart may be slow or fail (cut off from us, its disk) without holding them up.
    std::string detail;
    if (!plan_.others.empty()) {
      HS_ASSIGN_OR_RETURN(
          detail, RepointStandbys(handles_, plan_.others, plan_.candidate, options_.timeout));
    }
    // It restarts with standby.signal still in place: read-only from its first second. Bounded
    // by --timeout like every wait of the switchover.
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles_.Open(old));
    HS_TRY(handle->Start(options_.timeout).Wrap("restart '" + old.name + "' as a standby"));
    HS_ASSIGN_OR_RETURN(std::string old_detail,
                        RepointStandbys(handles_, {old}, plan_.candidate, options_.timeout));
    // It streams from the new primary: it is an ordinary standby now, the marker only misleads.
    HS_TRY(LiftFence(*handle, /*writable=*/false));
    return detail.empty() ? old_detail : detail + "; " + old_detail;
  }

  // No undo once the promotion was asked for: a promotion that reported failure may still
  // complete, and restarting the old primary then would make two writable instances. Failing
  // closed (no primary until an operator looks) is the lesser harm.
  core::Result<std::string> Promote() override {
    promotion_asked_ = true;
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * candidate, handles_.Open(plan_.candidate));
    return postgres::Promote(*candidate, options_.timeout);
  }
  core::Result<std::string> ProveWritable() override {
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * candidate, handles_.Open(plan_.candidate));
    return postgres::ProveWritable(*candidate);
  }
  bool NeedsUndo() const override { return fence_started_ && !promotion_asked_; }

  // A rerun of an interrupted switchover: the state the plan read must still hold. After the
  // fence: the old primary is down and the candidate a standby (from here an abort restarts the
  // old primary, as in any run). After the promotion: the candidate is the primary.
  core::Result<std::string> CheckResume() {
    auto seen = ObserveCluster(handles_);
    for (const auto& o : seen) {
      if (o.instance.name == plan_.old_primary.name && o.primary() &&
          plan_.old_primary.name != plan_.candidate.name)
        return SafetyStop("'" + o.instance.name + "' answers as a primary again", "plan again");
    }
    bool promoted = *plan_.resumes_after >= SwitchoverStep::kPromote;
    for (const auto& o : seen) {
      if (o.instance.name != plan_.candidate.name)
        continue;
      if (promoted ? !o.primary() : !o.standby()) {
        return SafetyStop("'" + o.instance.name + "' is no longer " +
                              (promoted ? "the primary" : "a standby") + " (" + o.error + ")",
                          "plan again");
      }
      fence_started_ = !promoted;
      return "resuming the interrupted switchover from '" + plan_.old_primary.name + "' to '" +
             o.instance.name + "' after its step '" + SwitchoverStepName(*plan_.resumes_after) +
             "'";
    }
    return core::NotFound("'" + plan_.candidate.name + "' is no longer in the cluster");
  }
  std::string PromotedAt() const override { return promoted_at_; }

 private:
  InstanceHandles handles_;  // one per instance, for the whole run
  const SwitchoverPlan& plan_;
  const SwitchoverOptions& options_;
  bool fence_started_ = false;
  bool promotion_asked_ = false;
  ShutdownPosition final_;
  std::string promoted_at_;
};

}  // namespace

SwitchoverReport PgSwitchover::RunSwitchover(platform::Platform& platform,
                                             const platform::Cluster& cluster,
                                             const SwitchoverPlan& plan,
                                             const SwitchoverOptions& options) {
  SwitchoverRun run(platform, cluster, plan, options);
  return RunSwitchoverSteps(plan, run);
}

}  // namespace hasteward::engine::postgres
