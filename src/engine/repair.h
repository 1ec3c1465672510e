// Repair: the safety table (HASteward README "Safety Gates") as a pure planner over a triage
// report, and the heal flows per engine (engine/<kind>/repair.h). The planner decides; the jobs
// layer takes the escrow/diverged backups and runs the heals.
//
//   Scenario             | Untargeted                 | Targeted (-i N)
//   split-brain          | HARD STOP (no override)    | fail unless --force
//   target is primary    | -                          | HARD STOP (no override)
//   target is healthy    | skipped                    | skipped unless --force
//   no healthy donor     | ABORT (kNoDonor)           | ABORT (kNoDonor)
//
// Beyond the table (lessons from the field): the instance holding the most advanced data (the
// authority) is never healed, even with --force; an instance whose position could not be read is
// UNKNOWN and is neither healed nor passed over when choosing a donor or bootstrap node.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/triage.h"

namespace hasteward::engine {

struct RepairRequest {
  std::optional<int> target;  // -i N; nullopt = every unhealthy instance
  bool force = false;
};

struct HealStep {
  platform::Instance target;
  std::string reason;  // why it is healed
};

struct RepairPlan {
  bool split_brain = false;
  std::optional<platform::Instance> donor;  // PostgreSQL/MariaDB primary, Galera synced node
  std::vector<HealStep> heals;
  std::vector<std::string> skipped;             // "'db-1': healthy"
  std::vector<platform::Instance> diverged;     // split-brain + --force: running instances
  std::optional<platform::Instance> bootstrap;  // Galera whole-cluster-down: the bootstrap node
  std::vector<std::string> notes;               // authority statements, warnings
  bool empty() const { return heals.empty() && !bootstrap; }
};

// Applies the safety table to a triage report. Errors: kSplitBrain (split-brain refusals),
// kSafetyStop (target is the primary or the authority, unknown positions), kNoDonor, kNotFound
// (no instance -i N). Pure.
core::Result<RepairPlan> PlanRepair(const TriageReport& report, const RepairRequest& request);

// The plan as text lines for --dry-run and logs.
std::vector<std::string> DescribeRepairPlan(const RepairPlan& plan);

// How a heal reports progress; every destructive step says what it kept and where.
using RepairLog = std::function<void(const std::string& line)>;

struct HealOptions {
  std::chrono::seconds heal_timeout{600};    // a healed instance must be back within this
  std::chrono::seconds delete_timeout{120};  // stopping (fencing) an instance
  std::string stamp;                         // "20060102T150405Z": names kept copies
  bool keep_replaced = false;                // keep the moved-aside data after success
  RepairLog log;
};

// Why `target` must not be healed from `donor` (it holds the most advanced data, or its position
// is unknown), or "" when it may be. Engine-specific; used by PlanRepair and re-checked by the
// heal flows on fresh data right before the first destructive step.
std::string AuthorityObjection(const TriageReport& report, const InstanceHealth& target,
                               const InstanceHealth& donor, bool split_brain_forced);

}  // namespace hasteward::engine
