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

// The engine-specific rules the safety table consults (engine::Engine implements them). Every
// answer comes from triage facts only — no I/O — so PlanRepair stays pure and unit-testable on
// hand-built reports.
class RepairRules {
 public:
  virtual ~RepairRules() = default;
  // Whether a readable instance may be the donor heals clone from (PostgreSQL/MariaDB: the
  // writable primary; Galera: a Synced node of the Primary component).
  virtual bool DonorCandidate(const InstanceHealth& health) const = 0;
  // Whether several donor candidates are equivalent (Galera: every Synced node holds the same
  // data) rather than a conflict the inventory must settle (two writable primaries).
  virtual bool DonorsAreEquivalent() const { return false; }
  // Why there is no donor when no instance is a candidate ("no writable primary answers").
  virtual std::string NoDonorReason() const = 0;
  // Why `target` must not be healed from `donor` (it holds the most advanced data, or its
  // position is unknown), or "" when it may be. `split_brain_forced`: --force on a split-brain,
  // where a diverged target (captured first) may be healed but an authority never.
  virtual std::string AuthorityObjection(const InstanceHealth& target, const InstanceHealth& donor,
                                         bool split_brain_forced) const = 0;
  // Whether no instance can serve as donor because the whole cluster is down and it can only
  // come back by bootstrapping one instance (Galera). False for engines without bootstrap.
  virtual bool NeedsBootstrap(const TriageReport& /*report*/) const { return false; }
  // Chooses the bootstrap instance (plan->bootstrap) and the heals that rejoin the others.
  virtual core::Status PlanBootstrap(const TriageReport& report, RepairPlan* plan) const;
};

// Applies the safety table to a triage report with the engine's rules. Errors: kSplitBrain
// (split-brain refusals), kSafetyStop (target is the primary or the authority, unknown
// positions), kNoDonor, kNotFound (no instance -i N). Pure.
core::Result<RepairPlan> PlanRepair(const RepairRules& rules, const TriageReport& report,
                                    const RepairRequest& request);
// The same with the rules of report.engine.
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
  // The target diverged and no snapshot captured it: what the heal replaces is the only copy of
  // its own writes. A heal that cannot keep it (no moved-aside data) must refuse.
  bool only_copy_of_diverged_writes = false;
  // The target was just brought back by its operator (a cluster handed back after a restore): it
  // may still be starting its server, so the heal waits within heal_timeout until it answers.
  bool target_starting = false;
  RepairLog log;
};

// RepairRules::AuthorityObjection of report.engine. Used by PlanRepair, re-checked by the repair
// job on fresh data right before the first destructive step, and by the restore guard.
std::string AuthorityObjection(const TriageReport& report, const InstanceHealth& target,
                               const InstanceHealth& donor, bool split_brain_forced);

// Capability: change instances so they rejoin their cluster. Every destructive step keeps what it
// replaces (named with HealOptions::stamp) and says where in HealOptions::log.
class Healer {
 public:
  virtual ~Healer() = default;
  // Makes the target's position readable before the authority re-check (MariaDB: a stopped
  // replica's GTID position is only readable from the running server, so it is started). No-op
  // by default.
  virtual core::Status PrepareToHeal(platform::Platform& platform, const platform::Cluster& cluster,
                                     const platform::Instance& target, const HealOptions& options);
  // Re-clones `target` from `donor` (PostgreSQL: pg_basebackup; MariaDB: dump and GTID
  // reconnect; Galera: state transfer from the running cluster) and waits until it is healthy.
  virtual core::Status HealInstance(platform::Platform& platform, const platform::Cluster& cluster,
                                    const platform::Instance& target,
                                    const platform::Instance& donor,
                                    const HealOptions& options) = 0;
  // Whole-cluster recovery (RepairRules::PlanBootstrap chose `node`): starts it as a new cluster
  // from its recorded position. kUsage for engines without bootstrap.
  virtual core::Status BootstrapInstance(platform::Platform& platform,
                                         const platform::Cluster& cluster,
                                         const InstanceHealth& node, const HealOptions& options);
  // After a bootstrap: starts a stopped instance so it joins the bootstrapped one. kUsage for
  // engines without bootstrap.
  virtual core::Status RejoinInstance(platform::Platform& platform,
                                      const platform::Cluster& cluster,
                                      const platform::Instance& node, const HealOptions& options);
};

}  // namespace hasteward::engine
