#include "jobs/operator_switchover.h"

#include <algorithm>

#include "core/clock.h"
#include "core/poll_until.h"
#include "engine/triage.h"
#include "engine/write_probe.h"
#include "jobs/two_writable_judge.h"

namespace hasteward::jobs {

namespace {

using engine::SwitchoverStep;

// How often the instances and the operator are read while waiting: often enough that a moment
// with two writable instances is seen, rarely enough that port-forward sessions stay few.
constexpr std::chrono::milliseconds kPollInterval{250};

// One reading of the cluster: triage of the instances as the platform lists them now.
struct Reading {
  core::Status status;
  engine::TriageReport report;
  std::vector<std::string> writable;  // names of the instances that take writes
  // Whether the writability of every instance was read: each answered, or the platform says its
  // server is not running. Only such a reading proves there were not two writable instances.
  bool every_instance_read = false;
};

bool WritabilityRead(const engine::InstanceHealth& i) {
  return i.readable() || i.state == engine::InstanceState::kStopped;
}

Reading Read(const engine::ClusterHandle& target) {
  Reading out;
  auto cluster = target.platform().FindCluster(target.cluster().ns, target.cluster().name);
  if (!cluster.ok()) {
    out.status = cluster.status();
    return out;
  }
  auto report = target.engine().Triage(target.platform(), *cluster);
  if (!report.ok()) {
    out.status = report.status();
    return out;
  }
  out.report = std::move(*report);
  out.every_instance_read = !out.report.instances.empty();
  for (const auto& i : out.report.instances) {
    if (i.writable) {
      out.writable.push_back(i.instance.name);
    }
    out.every_instance_read = out.every_instance_read && WritabilityRead(i);
  }
  return out;
}

// Reads the instances and judges the reading (TwoWritableJudge): one that sees several writable
// instances is read again at once, since it may have straddled the handover. A reading that
// failed proves nothing either way and is not judged.
Reading ReadJudged(const engine::ClusterHandle& target, TwoWritableJudge& judge,
                   WritableVerdict* verdict) {
  Reading reading = Read(target);
  *verdict = reading.status.ok() ? judge.Observe(reading.writable) : WritableVerdict::kAtMostOne;
  if (*verdict == WritableVerdict::kUnconfirmed) {
    reading = Read(target);
    *verdict = reading.status.ok() ? judge.Observe(reading.writable) : WritableVerdict::kAtMostOne;
  }
  return reading;
}

// The polls of the wait for the operator: how many ran, and how many of them read every instance.
struct PollTally {
  int polls = 0;
  int read_every_instance = 0;
};

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "'" : ", '") + n + "'";
  }
  return out;
}

// What fencing the writable instances did: the ones stopped and kept down, the ones that still
// take writes (with why their fence failed).
struct FenceResult {
  std::vector<std::string> fenced;
  std::vector<std::string> unfenced;
  std::string failures;  // "'db-0': <why>; ..."
};

core::Status FenceOne(const engine::ClusterHandle& target, const std::string& name,
                      std::chrono::milliseconds timeout) {
  const auto& instances = target.cluster().instances;
  auto found = std::find_if(instances.begin(), instances.end(),
                            [&](const platform::Instance& i) { return i.name == name; });
  if (found == instances.end()) {
    return core::Status(core::ErrorCode::kNotFound, "not an instance of the cluster");
  }
  HS_ASSIGN_OR_RETURN(auto handle, target.platform().OpenInstance(target.cluster(), *found));
  return handle->Fence(timeout);
}

void Fence(const engine::ClusterHandle& target, const std::string& name,
           std::chrono::milliseconds timeout, FenceResult* result) {
  core::Status fenced = FenceOne(target, name, timeout);
  if (fenced.ok()) {
    result->fenced.push_back(name);
    return;
  }
  result->unfenced.push_back(name);
  result->failures += (result->failures.empty() ? "'" : "; '") + name + "': " + fenced.message();
}

// Two writable instances are never left so: the platform's fence (the operator's own where it has
// one: CloudNativePG's fencing; mariadb-operator: the pod scaled away) stops every one but the
// candidate, which the operator was asked to make its primary. Whether the old primary took
// writes after the candidate's promotion cannot be told here, so nothing is discarded: a fenced
// instance keeps its data for the repair. Where another cannot be fenced (mariadb-operator's
// ordinal 0 stops only with every pod), the candidate is fenced instead, so that one stays
// writable; where the candidate is not among them, which one is authoritative is unclear and all
// are fenced.
FenceResult FenceAllButOne(const engine::ClusterHandle& target,
                           const std::vector<std::string>& writable, const std::string& candidate,
                           std::chrono::milliseconds timeout) {
  const bool keep_candidate =
      std::find(writable.begin(), writable.end(), candidate) != writable.end();
  FenceResult result;
  for (const auto& name : writable) {
    if (!keep_candidate || name != candidate) {
      Fence(target, name, timeout, &result);
    }
  }
  if (keep_candidate && !result.unfenced.empty()) {
    Fence(target, candidate, timeout, &result);
  }
  return result;
}

// Fences (FenceAllButOne) and returns the split-brain error saying what was fenced and what not.
core::Status TwoWritable(const engine::ClusterHandle& target,
                         const std::vector<std::string>& writable, const std::string& candidate,
                         std::chrono::milliseconds timeout) {
  FenceResult fence = FenceAllButOne(target, writable, candidate, timeout);
  std::string message = "instances " + Join(writable) +
                        " took writes at the same time while the operator switched over";
  if (!fence.fenced.empty()) {
    message += "; fenced " + Join(fence.fenced) + " (stopped and kept down, data kept)";
  }
  std::string hint =
      "stop the applications' writes, run triage, and repair the cluster from the instance that "
      "holds the writes to keep; 'instance start' brings a fenced instance back";
  if (!fence.failures.empty()) {
    message += "; could not fence " + fence.failures;
  }
  if (fence.unfenced.size() > 1) {
    hint = Join(fence.unfenced) +
           " still take writes: make all but one read-only by hand at once; " + hint;
  }
  return core::Status(core::ErrorCode::kSplitBrain, message, hint);
}

// The promote step's proof: only polls that read every instance prove one writable instance.
std::string PromoteProof(const PollTally& tally, const TwoWritableJudge& judge) {
  std::string proof = "one writable instance at each of " +
                      std::to_string(tally.read_every_instance) + " polls that read every instance";
  if (tally.polls > tally.read_every_instance) {
    proof += " (" + std::to_string(tally.polls - tally.read_every_instance) + " of " +
             std::to_string(tally.polls) + " polls could not read every instance)";
  }
  if (judge.straddled() > 0) {
    proof += "; " + std::to_string(judge.straddled()) +
             " reading(s) saw two writable instances across the handover and the reading right "
             "after saw one";
  }
  return proof;
}

// Records a completed step.
class Steps {
 public:
  explicit Steps(engine::SwitchoverReport* report) : report_(report), start_(Now()) {}
  void Done(SwitchoverStep step, std::string detail) {
    auto now = Now();
    report_->steps.push_back({step,
                              std::chrono::duration_cast<std::chrono::milliseconds>(now - start_),
                              std::move(detail)});
    start_ = now;
  }
  engine::SwitchoverReport& Fail(SwitchoverStep step, core::Status status) {
    report_->failed_step = step;
    report_->status = std::move(status);
    return *report_;
  }

 private:
  static std::chrono::steady_clock::time_point Now() {
    return core::SystemClock::Get().Monotonic();
  }
  engine::SwitchoverReport* report_;
  std::chrono::steady_clock::time_point start_;
};

// The operator must agree with the engine's pre-check: it runs the same primary and has no
// switchover pending (a pending one would race this request).
core::Status CheckOperatorAgrees(platform::OperatorSwitchover& via,
                                 const engine::SwitchoverPlan& plan) {
  HS_ASSIGN_OR_RETURN(platform::OperatorPrimary primary, via.Primary());
  if (!primary.settled() || primary.current != plan.old_primary.name) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        via.Describe() + ": the operator's primary is '" + primary.current +
                            "' (target '" + primary.target + "'), the instances' is '" +
                            plan.old_primary.name + "'",
                        "wait until the operator settles, then run triage and retry");
  }
  return core::Status::Ok();
}

core::Status OperatorTimeout(const platform::OperatorSwitchover& via, const std::string& candidate,
                             std::chrono::milliseconds timeout,
                             const platform::OperatorPrimary& last, const PollTally& tally) {
  const std::string within = " within " + std::to_string(timeout.count()) + " ms";
  if (last.settled() && last.current == candidate) {
    // The operator is done, but nothing proves the instances never had two writable at once.
    return core::Status(core::ErrorCode::kTimeout,
                        via.Describe() + ": the operator reports '" + candidate +
                            "' as its primary, but none of " + std::to_string(tally.polls) +
                            " polls read the writability of every instance" + within,
                        "run triage: an instance that cannot be read may still take writes");
  }
  return core::Status(core::ErrorCode::kTimeout,
                      via.Describe() + ": the operator did not report '" + candidate +
                          "' as its primary" + within + " (current '" + last.current +
                          "', target '" + last.target + "')",
                      "the operator may still be switching over: watch its status and run triage");
}

// Polls until the operator reports the candidate as its settled primary and some poll read every
// instance (the proof has at least one reading); every poll also reads the instances, and two
// writable ones are fenced and end the wait with split-brain.
core::Status WaitForOperator(const engine::ClusterHandle& target, platform::OperatorSwitchover& via,
                             const std::string& candidate, std::chrono::milliseconds timeout,
                             TwoWritableJudge& judge, PollTally* tally) {
  core::Status failure;
  platform::OperatorPrimary last;
  bool done = core::PollUntil(
      [&] {
        ++tally->polls;
        WritableVerdict verdict{};
        Reading reading = ReadJudged(target, judge, &verdict);
        if (verdict == WritableVerdict::kSplitBrain) {
          failure = TwoWritable(target, reading.writable, candidate, timeout);
          return true;
        }
        tally->read_every_instance += reading.every_instance_read ? 1 : 0;
        auto primary = via.Primary();
        if (primary.ok()) {
          last = *primary;
        }
        return primary.ok() && primary->settled() && primary->current == candidate &&
               tally->read_every_instance > 0;
      },
      timeout, kPollInterval);
  if (!failure.ok()) {
    return failure;
  }
  return done ? core::Status::Ok() : OperatorTimeout(via, candidate, timeout, last, *tally);
}

// Whether a reading shows the switchover finished: healthy, the candidate the one writable
// instance, the old primary a replicating (healthy, not writable) instance.
bool Whole(const Reading& reading, const engine::SwitchoverPlan& plan) {
  if (!reading.status.ok() || reading.report.verdict != engine::Verdict::kHealthy ||
      reading.writable != std::vector<std::string>{plan.candidate.name}) {
    return false;
  }
  return std::any_of(reading.report.instances.begin(), reading.report.instances.end(),
                     [&](const engine::InstanceHealth& i) {
                       return i.instance.name == plan.old_primary.name &&
                              i.state == engine::InstanceState::kHealthy && !i.writable;
                     });
}

core::Status WaitForWhole(const engine::ClusterHandle& target, const engine::SwitchoverPlan& plan,
                          std::chrono::milliseconds timeout, TwoWritableJudge& judge) {
  Reading last;
  core::Status failure;
  bool whole = core::PollUntil(
      [&] {
        WritableVerdict verdict{};
        last = ReadJudged(target, judge, &verdict);
        if (verdict == WritableVerdict::kSplitBrain) {
          failure = TwoWritable(target, last.writable, plan.candidate.name, timeout);
          return true;
        }
        return Whole(last, plan);
      },
      timeout, kPollInterval);
  if (!failure.ok()) {
    return failure;
  }
  if (whole) {
    return core::Status::Ok();
  }
  std::string seen = last.status.ok()
                         ? std::string("triage ") + engine::VerdictName(last.report.verdict) +
                               ", writable: " + Join(last.writable)
                         : last.status.message();
  return core::Status(core::ErrorCode::kTimeout,
                      "the old primary '" + plan.old_primary.name + "' did not follow '" +
                          plan.candidate.name + "' within " + std::to_string(timeout.count()) +
                          " ms (" + seen + ")",
                      "run triage; the operator may still be rejoining it");
}

// An abort before the operator was asked: the handover's fence is lifted, and the error says
// whether it was.
core::Status Lifted(const core::Status& failure, engine::OperatorHandover& handover) {
  std::string lifted = handover.Lift();
  return core::Status(failure.code(),
                      lifted.empty() ? failure.message() : failure.message() + "; " + lifted,
                      failure.hint());
}

core::Status ProveWritable(const engine::ClusterHandle& target, const platform::Instance& who) {
  HS_ASSIGN_OR_RETURN(auto handle, target.platform().OpenInstance(target.cluster(), who));
  platform::Endpoint at = handle->endpoint();
  engine::WriteProbeResult probe = target.engine().ProbeWritable(
      {.host = at.host, .port = at.port, .credentials = target.cluster().credentials});
  if (probe.verdict != engine::WriteProbeVerdict::kWritable) {
    return core::Status(core::ErrorCode::kHealthDegraded,
                        "the new primary '" + who.name + "' did not take a write (" +
                            engine::WriteProbeVerdictName(probe.verdict) + ": " + probe.detail +
                            ")",
                        "run triage");
  }
  return core::Status::Ok();
}

}  // namespace

void DescribeOperatorSwitchover(const engine::OperatorHandover& handover,
                                const platform::OperatorSwitchover& via,
                                engine::SwitchoverPlan* plan) {
  plan->steps = {"pre-check: '" + plan->candidate.name + "' is a healthy replica of '" +
                 plan->old_primary.name + "', which the operator also runs as its primary"};
  for (std::string& line : handover.Describe()) {
    plan->steps.push_back(std::move(line));
  }
  plan->steps.insert(
      plan->steps.end(),
      {"promote: ask the operator (" + via.Describe() + ") for '" + plan->candidate.name +
           "' and wait until it reports it as its primary; never two writable instances",
       "repoint: wait until triage is healthy with '" + plan->candidate.name +
           "' the one writable instance and '" + plan->old_primary.name + "' replicating from it",
       "prove-writable: a write on '" + plan->candidate.name + "' is accepted (rolled back)"});
}

engine::SwitchoverReport RunOperatorSwitchover(const engine::ClusterHandle& target,
                                               engine::OperatorHandover& handover,
                                               platform::OperatorSwitchover& via,
                                               const engine::SwitchoverPlan& plan,
                                               const engine::SwitchoverOptions& options) {
  engine::SwitchoverReport report;
  report.plan = plan;
  Steps steps(&report);
  if (core::Status agrees = CheckOperatorAgrees(via, plan); !agrees.ok()) {
    return steps.Fail(SwitchoverStep::kPreCheck, agrees);
  }
  steps.Done(SwitchoverStep::kPreCheck, "the operator runs '" + plan.old_primary.name + "'");
  // The operator's own handover may let a write through to the old primary after it was last
  // replicated (mariadb-operator: engine/mariadb/operator_handover.h): the engine fences first.
  auto fenced = handover.Fence();
  if (!fenced.ok()) {
    return steps.Fail(SwitchoverStep::kFence, Lifted(fenced.TakeStatus(), handover));
  }
  steps.Done(SwitchoverStep::kFence, *fenced);
  // The operator is asked only for a candidate that holds every write of the fenced primary.
  auto caught_up = handover.CatchUp();
  if (!caught_up.ok()) {
    return steps.Fail(SwitchoverStep::kCatchUp, Lifted(caught_up.TakeStatus(), handover));
  }
  steps.Done(SwitchoverStep::kCatchUp, *caught_up);
  if (core::Status asked = via.RequestPrimary(plan.candidate); !asked.ok()) {
    // Nothing was asked of the operator and the fence goes: the class of a refused pre-check
    // (exit code), whatever steps the report shows done.
    return steps.Fail(SwitchoverStep::kPreCheck, Lifted(asked, handover));
  }
  PollTally tally;
  TwoWritableJudge judge;
  if (core::Status switched =
          WaitForOperator(target, via, plan.candidate.name, options.timeout, judge, &tally);
      !switched.ok()) {
    return steps.Fail(SwitchoverStep::kPromote, switched);
  }
  steps.Done(SwitchoverStep::kPromote, "the operator reports '" + plan.candidate.name +
                                           "' as its primary; " + PromoteProof(tally, judge));
  if (core::Status whole = WaitForWhole(target, plan, options.timeout, judge); !whole.ok()) {
    return steps.Fail(SwitchoverStep::kRepoint, whole);
  }
  steps.Done(SwitchoverStep::kRepoint, "'" + plan.old_primary.name + "' replicates from '" +
                                           plan.candidate.name + "'; triage healthy");
  if (core::Status proven = ProveWritable(target, plan.candidate); !proven.ok()) {
    return steps.Fail(SwitchoverStep::kProveWritable, proven);
  }
  steps.Done(SwitchoverStep::kProveWritable, "'" + plan.candidate.name + "' took a write");
  return report;
}

}  // namespace hasteward::jobs
