#include "engine/triage.h"

namespace hasteward::engine {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kHealthy: return "healthy";
    case Verdict::kDegraded: return "degraded";
    case Verdict::kSplitBrain: return "split-brain";
  }
  return "unknown";
}

core::ErrorCode VerdictExitCode(Verdict v) {
  switch (v) {
    case Verdict::kHealthy: return core::ErrorCode::kOk;
    case Verdict::kDegraded: return core::ErrorCode::kHealthDegraded;
    case Verdict::kSplitBrain: return core::ErrorCode::kSplitBrain;
  }
  return core::ErrorCode::kInternal;
}

const char* InstanceStateName(InstanceState s) {
  switch (s) {
    case InstanceState::kHealthy: return "healthy";
    case InstanceState::kDegraded: return "degraded";
    case InstanceState::kStopped: return "stopped";
    case InstanceState::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* RoleName(InstanceRole role) {
  switch (role) {
    case InstanceRole::kPrimary: return "primary";
    case InstanceRole::kStandby: return "standby";
    case InstanceRole::kReplica: return "replica";
    case InstanceRole::kGaleraNode: return "galera-node";
    case InstanceRole::kUnknown: return "unknown";
  }
  return "unknown";
}

std::string InstanceHealth::Fact(const std::string& key) const {
  auto it = facts.find(key);
  return it == facts.end() ? "" : it->second;
}

void Raise(Verdict* verdict, Verdict at_least) {
  if (static_cast<int>(at_least) > static_cast<int>(*verdict)) {
    *verdict = at_least;
  }
}

void AddUnreadableFindings(const std::vector<InstanceHealth>& instances,
                           std::vector<Finding>* findings, Verdict* verdict) {
  for (const auto& i : instances) {
    if (i.state == InstanceState::kStopped) {
      findings->push_back({Severity::kWarning, i.instance.name, "server is not running"});
      Raise(verdict, Verdict::kDegraded);
    } else if (i.state == InstanceState::kUnknown) {
      findings->push_back({Severity::kWarning, i.instance.name,
                           "state UNKNOWN (could not be read: " + i.error +
                               "); it may hold the most advanced data"});
      Raise(verdict, Verdict::kDegraded);
    }
  }
}

}  // namespace hasteward::engine
