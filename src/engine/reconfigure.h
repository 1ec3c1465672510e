// engine/reconfigure: the Reconfigure capability — change server variables on every instance of
// a cluster so that the change holds now (applied at runtime where the server allows it) and after
// a restart (persisted where the server reads its configuration at start), and the replication
// mode (async / semi-sync) as a set of such variables. Planning reads every instance and refuses
// (unknown variable, value the server would reject, static variable without a restart, a request
// that contradicts itself) before anything changes; applying puts back what it changed when a
// later step fails.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::engine {

// How a commit is acknowledged. kSemisync: a commit returns once a replica has it.
enum class ReplicationMode { kAsync, kSemisync };
// "async", "semisync".
const char* ReplicationModeName(ReplicationMode mode);
// kUsage naming the valid values on anything else.
core::Result<ReplicationMode> ParseReplicationMode(const std::string& name);

// When a semi-sync primary waits for the replica's acknowledgement. kAfterSync (the default):
// before the commit is visible to other clients, so an acknowledged commit is on a replica;
// kAfterCommit: after it, so others may read a commit a failover then loses.
enum class SemisyncWaitPoint { kAfterSync, kAfterCommit };
// "after_sync", "after_commit".
const char* SemisyncWaitPointName(SemisyncWaitPoint point);
core::Result<SemisyncWaitPoint> ParseSemisyncWaitPoint(const std::string& name);

// One `--set name=value`.
struct SettingRequest {
  std::string name;
  std::string value;
};

// Splits "name=value" at the first '='; kUsage when there is none or the name is empty.
core::Result<SettingRequest> ParseSettingRequest(const std::string& text);

struct ReconfigureRequest {
  std::vector<SettingRequest> settings;
  std::optional<ReplicationMode> replication_mode;
  std::optional<SemisyncWaitPoint> wait_point;  // only with replication_mode kSemisync
  // Allows static variables (the server reads them only at start): they are persisted and every
  // instance is restarted one at a time (replicas first, then the primary; Galera nodes one by one,
  // each Synced before the next).
  bool restart = false;
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

// What happens to one variable on one instance.
enum class ChangeAction {
  kUnchanged,          // running and persisted values already equal the request: nothing is written
  kPersistOnly,        // running value is right, the persisted one differs
  kApplyAndPersist,    // a dynamic variable: set at runtime and persisted
  kPersistAndRestart,  // a static variable: persisted, takes effect at the restart
};
// "unchanged", "persist", "apply+persist", "persist+restart".
const char* ChangeActionName(ChangeAction action);

struct PlannedChange {
  std::string name;       // the server's name of the variable, lowercase
  std::string running;    // the value the server runs with now
  std::string persisted;  // the value it would start with now
  std::string value;      // the requested value, in the server's spelling
  ChangeAction action = ChangeAction::kUnchanged;
};

struct InstanceReconfigurePlan {
  platform::Instance instance;
  bool primary = false;  // the instance other instances replicate from
  std::vector<PlannedChange> changes;
};

struct ReconfigurePlan {
  std::vector<InstanceReconfigurePlan> instances;  // in the order they are changed
  bool restart = false;  // a rolling restart follows (a static variable changes)
  // The restart takes the primary first (PostgreSQL: a lowered limit a standby must have at least
  // as high as its primary); otherwise replicas first.
  bool primary_restarts_first = false;
  // Whether any instance has something to do.
  bool Empty() const;
  // One line per change for --dry-run and the command's output.
  std::vector<std::string> Describe() const;
};

// The hint of a failed apply: whether every change made before the failure was put back.
std::string ApplyFailureHint(bool undone);

// Capability (Engine::reconfigure(); nullptr = unsupported).
class Reconfigure {
 public:
  virtual ~Reconfigure() = default;
  // Reads every instance and decides what changes where. Read-only. kUsage for an unknown or
  // session-only variable, a value the server would reject, a static variable without
  // request.restart, a replication mode on an engine without one, or --set values that contradict
  // the replication mode; kUnreachable when an instance cannot be read.
  virtual core::Result<ReconfigurePlan> PlanReconfigure(platform::Platform& platform,
                                                        const platform::Cluster& cluster,
                                                        const ReconfigureRequest& request) = 0;
  // Carries out `plan`. A failed step puts back the running values and persisted files it had
  // changed (before the rolling restart), and returns the error naming the step.
  virtual core::Status ApplyReconfigure(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const ReconfigurePlan& plan,
                                        const ReconfigureRequest& request) = 0;
};

}  // namespace hasteward::engine
