// engine/switchover: the Switchover capability — a planned change of primary (switchover) and the
// promotion of a replica when the primary is down (failover), for the engines with one writable
// instance (PostgreSQL, MariaDB replication; Galera has no primary to change and returns nullptr).
//
// The contract every implementation keeps, because breaking it forks the data silently:
//  - never two writable instances: the old primary is fenced, and the fence is *proven* (a user
//    write is rejected and its position stays still) before the candidate is promoted;
//  - never a promoted candidate behind the old primary's final position: the candidate is promoted
//    only once it has applied exactly that position, within a bounded wait;
//  - an abort before the promotion undoes the fence (the old primary is writable again) and names
//    the step that failed (SwitchoverStep) with its own error code;
//  - failover chooses the most advanced replica and refuses when a reachable replica is ahead of
//    the choice or a position cannot be read, unless forced; the old primary is left fenced in its
//    persisted configuration until `repair` rejoins it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine {

// The steps of a switchover, in the order they run. A failover runs kPreCheck, kFence (of the old
// primary where it is reachable, in its persisted configuration), kPromote, kRepoint and
// kProveWritable.
enum class SwitchoverStep {
  kPreCheck,       // candidate healthy and replicating, lag bounded, semi-sync state known
  kFence,          // the old primary refuses writes (read_only and its bypass removed / stopped)
  kProveFence,     // a user write on the old primary is rejected; its position stays still
  kCatchUp,        // the candidate has applied exactly the old primary's final position
  kPromote,        // the candidate becomes the primary
  kRepoint,        // the old primary and the other replicas follow the new primary
  kProveWritable,  // the new primary accepts a write
};

// "pre-check", "fence", "prove-fence", "catch-up", "promote", "repoint", "prove-writable": the
// name in messages, JSON and metrics.
const char* SwitchoverStepName(SwitchoverStep step);

struct SwitchoverOptions {
  // The instance to promote (its name, e.g. "db-1"); empty = the engine chooses the most advanced
  // healthy replica.
  std::string candidate;
  // Bound on the catch-up wait (and on each other wait); past it the switchover aborts.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // Failover only: promote even when positions cannot all be read or a reachable replica is
  // ahead of the choice.
  bool force = false;
  // Failover only: promote only a candidate that provably holds every acknowledged commit: the
  // old primary waited for synchronous acknowledgement (PostgreSQL synchronous_standby_names,
  // MariaDB semi-sync) and every replica that could have acknowledged was read, so the most
  // advanced one holds them all. Refused otherwise (unless forced, which the plan reports).
  bool require_sync = false;
};

// What a switchover or failover will do, made from the live state before anything changes
// (printed by --dry-run).
struct SwitchoverPlan {
  // The current primary. Failover: the primary that is down (its last known address).
  platform::Instance old_primary;
  platform::Instance candidate;
  std::vector<platform::Instance> others;  // replicas to repoint to the candidate
  std::string reason;                      // why this candidate ("most advanced: 0-1-1042")
  std::vector<std::string> steps;          // one human-readable line per step
  // Set when this plan finishes an interrupted run (hasteward killed mid-way): the last step that
  // run completed. The rerun checks the state it left (PreCheck) and goes on after that step.
  std::optional<SwitchoverStep> resumes_after;
};

struct SwitchoverStepTiming {
  SwitchoverStep step = SwitchoverStep::kPreCheck;
  std::chrono::milliseconds elapsed{0};
  std::string detail;  // e.g. "candidate applied 0-1-1042 after 0.4 s"
};

// The outcome of a run: `status` is ok, or the abort with `failed_step` naming where it stopped.
struct SwitchoverReport {
  SwitchoverPlan plan;
  std::vector<SwitchoverStepTiming> steps;  // the steps that completed, in order
  std::optional<SwitchoverStep> failed_step;
  core::Status status;
  std::chrono::milliseconds total{0};
  // The position the candidate had applied when it was promoted (GTID set / LSN); empty when it
  // was not promoted.
  std::string promoted_at;
};

// The engine's part of a switchover that an operator performs (jobs/operator_switchover.h): what
// runs on the instances before the operator is asked, so that the operator's own handover cannot
// take an acknowledged commit with it. Made for one plan; holds the connections it opened until
// destroyed.
class OperatorHandover {
 public:
  virtual ~OperatorHandover() = default;
  OperatorHandover() = default;
  OperatorHandover(const OperatorHandover&) = delete;
  OperatorHandover& operator=(const OperatorHandover&) = delete;

  // The plan's lines for the fence and the catch-up (a dry run prints them). No I/O.
  virtual std::vector<std::string> Describe() const = 0;
  // Stops writes on the old primary and proves it (steps kFence and kProveFence in one).
  virtual core::Result<std::string> Fence() = 0;
  // Waits until the candidate has applied exactly the fenced primary's final position.
  virtual core::Result<std::string> CatchUp() = 0;
  // After an abort before the operator was asked: the old primary takes writes again. Says what
  // was undone, or what could not be.
  virtual std::string Lift() = 0;
};

// Capability: change the primary (Engine::switchover(); nullptr where the engine has none).
class Switchover {
 public:
  virtual ~Switchover() = default;
  // Read-only. kNotFound for an unknown candidate; kSafetyStop when the candidate is not a healthy
  // replica or the cluster has no single primary; kUnreachable when the primary does not answer
  // (use failover).
  virtual core::Result<SwitchoverPlan> PlanSwitchover(platform::Platform& platform,
                                                      const platform::Cluster& cluster,
                                                      const SwitchoverOptions& options) = 0;
  virtual SwitchoverReport RunSwitchover(platform::Platform& platform,
                                         const platform::Cluster& cluster,
                                         const SwitchoverPlan& plan,
                                         const SwitchoverOptions& options) = 0;
  // Read-only. kSafetyStop when the primary still answers (use switchover), when a reachable
  // replica is ahead of the choice or a position cannot be read (unless options.force).
  virtual core::Result<SwitchoverPlan> PlanFailover(platform::Platform& platform,
                                                    const platform::Cluster& cluster,
                                                    const SwitchoverOptions& options) = 0;
  virtual SwitchoverReport RunFailover(platform::Platform& platform,
                                       const platform::Cluster& cluster, const SwitchoverPlan& plan,
                                       const SwitchoverOptions& options) = 0;
  // The handover before an operator's switchover of `plan` (made by PlanSwitchover);
  // `operator_account` is the database account the operator switches over with
  // (OperatorSwitchover::DatabaseAccount), which keeps its privileges. `platform` and `cluster`
  // must outlive it. No I/O until its Fence.
  virtual std::unique_ptr<OperatorHandover> PrepareOperatorHandover(
      platform::Platform& platform, const platform::Cluster& cluster, const SwitchoverPlan& plan,
      const SwitchoverOptions& options, const std::string& operator_account) = 0;
};

}  // namespace hasteward::engine
