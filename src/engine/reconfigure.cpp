#include "engine/reconfigure.h"

namespace hasteward::engine {

const char* ReplicationModeName(ReplicationMode mode) {
  switch (mode) {
    case ReplicationMode::kAsync: return "async";
    case ReplicationMode::kSemisync: return "semisync";
  }
  return "async";
}

core::Result<ReplicationMode> ParseReplicationMode(const std::string& name) {
  for (ReplicationMode mode : {ReplicationMode::kAsync, ReplicationMode::kSemisync}) {
    if (name == ReplicationModeName(mode))
      return mode;
  }
  return core::Usage("unknown replication mode '" + name + "'",
                     "use --replication-mode async or --replication-mode semisync");
}

const char* SemisyncWaitPointName(SemisyncWaitPoint point) {
  switch (point) {
    case SemisyncWaitPoint::kAfterSync: return "after_sync";
    case SemisyncWaitPoint::kAfterCommit: return "after_commit";
  }
  return "after_sync";
}

core::Result<SemisyncWaitPoint> ParseSemisyncWaitPoint(const std::string& name) {
  for (SemisyncWaitPoint point : {SemisyncWaitPoint::kAfterSync, SemisyncWaitPoint::kAfterCommit}) {
    if (name == SemisyncWaitPointName(point))
      return point;
  }
  return core::Usage("unknown semi-sync wait point '" + name + "'",
                     "use --semisync-wait-point after_sync (an acknowledged commit is on a "
                     "replica) or after_commit");
}

core::Result<SettingRequest> ParseSettingRequest(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return core::Usage("--set '" + text + "' is not name=value",
                       "write --set name=value, e.g. --set max_connections=200");
  }
  return SettingRequest{text.substr(0, eq), text.substr(eq + 1)};
}

const char* ChangeActionName(ChangeAction action) {
  switch (action) {
    case ChangeAction::kUnchanged: return "unchanged";
    case ChangeAction::kPersistOnly: return "persist";
    case ChangeAction::kApplyAndPersist: return "apply+persist";
    case ChangeAction::kPersistAndRestart: return "persist+restart";
  }
  return "unchanged";
}

bool ReconfigurePlan::Empty() const {
  for (const auto& instance : instances) {
    for (const auto& change : instance.changes) {
      if (change.action != ChangeAction::kUnchanged)
        return false;
    }
  }
  return true;
}

std::vector<std::string> ReconfigurePlan::Describe() const {
  std::vector<std::string> lines;
  for (const auto& instance : instances) {
    for (const auto& change : instance.changes) {
      lines.push_back("'" + instance.instance.name + "' " + change.name + ": " +
                      ChangeActionName(change.action) + " (running " + change.running +
                      ", persisted " + change.persisted + ", requested " + change.value + ")");
    }
  }
  if (restart) {
    lines.emplace_back(primary_restarts_first
                           ? "rolling restart: the primary first, then the replicas, one at a time"
                           : "rolling restart: replicas first, then the primary, one at a time");
  }
  return lines;
}

std::string ApplyFailureHint(bool undone) {
  return undone ? "every change made before the failure was put back; fix the cause and run "
                  "reconfigure again"
                : "some changes could not be put back (see the lines above); run 'hasteward "
                  "triage' and reconfigure again";
}

}  // namespace hasteward::engine
