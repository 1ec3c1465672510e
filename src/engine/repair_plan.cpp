#include "engine/engine.h"
#include "engine/repair.h"

namespace hasteward::engine {

namespace {

// The instance heals clone from: the single candidate; equivalent candidates (Galera): the
// lowest ordinal; several writable primaries: the one the inventory labels primary — a
// split-brain the inventory settles, never a guess. -1 when there is none (`why` says why).
int ChooseDonor(const RepairRules& rules, const TriageReport& r, std::string* why) {
  std::vector<int> candidates;
  for (size_t n = 0; n < r.instances.size(); ++n) {
    const auto& h = r.instances[n];
    if (h.readable() && rules.DonorCandidate(h))
      candidates.push_back(static_cast<int>(n));
  }
  if (candidates.size() == 1 || (rules.DonorsAreEquivalent() && !candidates.empty()))
    return candidates[0];
  if (candidates.empty()) {
    *why = rules.NoDonorReason();
    return -1;
  }
  std::vector<int> labelled;
  for (int c : candidates) {
    auto it = r.instances[static_cast<size_t>(c)].instance.labels.find("role");
    if (it != r.instances[static_cast<size_t>(c)].instance.labels.end() &&
        it->second == "primary") {
      labelled.push_back(c);
    }
  }
  if (labelled.size() == 1)
    return labelled[0];
  *why = std::to_string(candidates.size()) +
         " instances are writable and the inventory does not name one primary";
  return -1;
}

// What every decision below needs: the report, the rules, the request and the chosen donor.
struct Planning {
  const RepairRules& rules;
  const TriageReport& report;
  const RepairRequest& request;
  std::string cluster;   // "'ns/name'" for messages
  int donor = -1;        // index into report.instances
  std::string no_donor;  // why donor < 0
};

// Split-brain rows of the table. Untargeted: a HARD STOP with no override, because healing
// "every unhealthy instance" would re-clone whichever side lost the donor choice and destroy its
// writes. Targeted: only with --force, which first captures every diverged side.
core::Status CheckSplitBrain(const Planning& p) {
  if (p.report.verdict != Verdict::kSplitBrain)
    return core::Status::Ok();
  if (!p.request.target) {
    return core::Status(core::ErrorCode::kSplitBrain,
                        "HARD STOP: cluster " + p.cluster +
                            " is split-brain; untargeted repair never runs during a split-brain "
                            "(no override)",
                        "inspect with 'hasteward triage'; to heal one diverged instance name it "
                        "with -i N --force (each diverged instance is captured first)");
  }
  if (!p.request.force) {
    return core::Status(core::ErrorCode::kSplitBrain,
                        "cluster " + p.cluster + " is split-brain; targeted repair refuses",
                        "review 'hasteward triage', then pass --force to capture every running "
                        "diverged instance (type=diverged; a stopped one keeps its data "
                        "directory, moved aside) and heal the target");
  }
  return core::Status::Ok();
}

core::Status NoDonor(const Planning& p) {
  return core::Status(core::ErrorCode::kNoDonor,
                      "ABORT: no healthy donor in cluster " + p.cluster + ": " + p.no_donor,
                      "bring the primary (or a synced node) back first; 'hasteward triage' "
                      "shows every instance");
}

// The authority rule: never heal the instance holding the newest data, even with --force —
// re-cloning it from an older donor would silently lose committed transactions.
core::Status CheckAuthority(const Planning& p, const RepairPlan& plan, const InstanceHealth& t) {
  if (p.donor < 0)
    return NoDonor(p);
  std::string why = p.rules.AuthorityObjection(t, p.report.instances[static_cast<size_t>(p.donor)],
                                               plan.split_brain && p.request.force);
  if (why.empty())
    return core::Status::Ok();
  return core::Status(core::ErrorCode::kSafetyStop,
                      "refusing to heal " + t.quoted_name() + ": " + why,
                      "never re-clone the instance holding the newest data; back it up "
                      "('hasteward backup'), make it the primary, then heal the others from it");
}

// -i N: the named instance only.
core::Status PlanTargeted(const Planning& p, RepairPlan* plan) {
  const auto& instances = p.report.instances;
  int idx = -1;
  for (size_t n = 0; n < instances.size(); ++n) {
    if (instances[n].instance.ordinal == *p.request.target)
      idx = static_cast<int>(n);
  }
  if (idx < 0) {
    return core::NotFound(
        "cluster " + p.cluster + " has no instance " + std::to_string(*p.request.target),
        "'hasteward triage' lists the instances and their ordinals");
  }
  const auto& t = instances[static_cast<size_t>(idx)];
  // The donor (or, without one, a writable primary) is where the cluster's writes live; healing
  // it would replace the newest data with a copy of older data. No flag overrides this.
  if (idx == p.donor || (p.donor < 0 && t.role == InstanceRole::kPrimary && t.writable)) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "HARD STOP: " + t.quoted_name() +
                            " is the primary; repair never heals the primary (no override)",
                        "heal the replicas, or switch the primary over first");
  }
  // A healthy instance gains nothing from a re-clone; --force exists for "healthy but wrong".
  if (t.state == InstanceState::kHealthy && !p.request.force) {
    plan->skipped.push_back(t.quoted_name() +
                            ": healthy, skipped (pass --force to re-clone it anyway)");
    return core::Status::Ok();
  }
  // UNKNOWN fails closed: an instance we cannot read may be the one holding the newest data.
  if (t.state == InstanceState::kUnknown) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "refusing to heal " + t.quoted_name() + ": its state is UNKNOWN (" + t.error + ")",
        "find out why it cannot be read; it may hold the most advanced data");
  }
  HS_TRY(CheckAuthority(p, *plan, t));
  plan->heals.push_back({t.instance, t.state == InstanceState::kHealthy
                                         ? "forced re-clone of a healthy instance"
                                         : std::string(InstanceStateName(t.state))});
  return core::Status::Ok();
}

// No -i: every stopped or degraded instance but the donor. UNKNOWN ones are reported and left
// alone (fail closed); one authority objection stops the whole repair before anything changes.
core::Status PlanUntargeted(const Planning& p, RepairPlan* plan) {
  const auto& instances = p.report.instances;
  for (size_t n = 0; n < instances.size(); ++n) {
    const auto& t = instances[n];
    if (static_cast<int>(n) == p.donor)
      continue;
    if (t.state == InstanceState::kHealthy) {
      plan->skipped.push_back(t.quoted_name() + ": healthy");
      continue;
    }
    if (t.state == InstanceState::kUnknown) {
      plan->skipped.push_back(t.quoted_name() + ": state UNKNOWN (" + t.error + "), not healed");
      continue;
    }
    HS_TRY(CheckAuthority(p, *plan, t));
    plan->heals.push_back({t.instance, InstanceStateName(t.state)});
  }
  return core::Status::Ok();
}

}  // namespace

core::Status RepairRules::PlanBootstrap(const TriageReport& report, RepairPlan* /*plan*/) const {
  return core::Usage("engine '" + std::string(platform::EngineKindName(report.engine)) +
                     "' has no whole-cluster bootstrap");
}

std::string AuthorityObjection(const TriageReport& report, const InstanceHealth& target,
                               const InstanceHealth& donor, bool split_brain_forced) {
  auto engine = MakeEngine(report.engine);
  if (!engine.ok())
    return engine.status().message();
  return (*engine)->AuthorityObjection(target, donor, split_brain_forced);
}

core::Result<RepairPlan> PlanRepair(const RepairRules& rules, const TriageReport& r,
                                    const RepairRequest& req) {
  Planning p{rules, r, req, "'" + r.ns + "/" + r.cluster + "'", -1, ""};
  RepairPlan plan;
  plan.split_brain = r.verdict == Verdict::kSplitBrain;
  HS_TRY(CheckSplitBrain(p));
  p.donor = ChooseDonor(rules, r, &p.no_donor);
  if (p.donor >= 0)
    plan.donor = r.instances[static_cast<size_t>(p.donor)].instance;
  if (plan.split_brain) {  // --force: every running side is captured before anything is healed
    for (const auto& h : r.instances) {
      if (h.readable())
        plan.diverged.push_back(h.instance);
    }
  }
  if (p.donor < 0 && rules.NeedsBootstrap(r)) {
    // Recovering a whole cluster starts from its most advanced instance; healing one instance
    // of a cluster that is down would have nothing to clone from.
    if (req.target) {
      return NoDonor(p).WithHint(
          "the whole cluster is down: run repair without -i to recover it from the most "
          "advanced node");
    }
    HS_TRY(rules.PlanBootstrap(r, &plan));
    return plan;
  }
  HS_TRY(req.target ? PlanTargeted(p, &plan) : PlanUntargeted(p, &plan));
  return plan;
}

core::Result<RepairPlan> PlanRepair(const TriageReport& report, const RepairRequest& request) {
  HS_ASSIGN_OR_RETURN(auto engine, MakeEngine(report.engine));
  return PlanRepair(*engine, report, request);
}

std::vector<std::string> DescribeRepairPlan(const RepairPlan& plan) {
  std::vector<std::string> out;
  if (plan.donor)
    out.push_back("donor: '" + plan.donor->name + "'");
  if (plan.bootstrap)
    out.push_back("bootstrap: '" + plan.bootstrap->name + "' (--wsrep-new-cluster)");
  for (const auto& d : plan.diverged)
    out.push_back("capture diverged: '" + d.name + "'");
  for (const auto& h : plan.heals)
    out.push_back("heal: '" + h.target.name + "' (" + h.reason + ")");
  for (const auto& s : plan.skipped)
    out.push_back("skip: " + s);
  for (const auto& n : plan.notes)
    out.push_back("note: " + n);
  if (plan.empty())
    out.push_back("nothing to heal");
  return out;
}

}  // namespace hasteward::engine
