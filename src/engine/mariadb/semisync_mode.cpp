#include "engine/mariadb/semisync_mode.h"

namespace hasteward::engine::mariadb {

namespace {

// The value in the server's spelling when the variable is one of the mode's (boolean or the wait
// point's enum); other values as given.
std::string Canonical(const std::string& name, const std::string& value) {
  VariableType type = name == kSemisyncWaitPoint ? VariableType::kEnum : VariableType::kBoolean;
  auto normalized = NormalizeValue(name, type, value, "");
  return normalized.ok() ? *normalized : value;
}

std::string Persisted(const InstanceHealth& health, const std::string& name) {
  return health.Fact(kPersistedPrefix + name);
}

bool Enabled(const std::string& value) {
  return Canonical(kSemisyncMasterEnabled, value) == "ON";
}

}  // namespace

OptionOverrides SemisyncSettings(ReplicationMode mode, SemisyncWaitPoint wait_point, bool primary) {
  bool semisync = mode == ReplicationMode::kSemisync;
  if (!primary)
    return {{kSemisyncSlaveEnabled, semisync ? "ON" : "OFF"}};
  OptionOverrides settings{{kSemisyncMasterEnabled, semisync ? "ON" : "OFF"}};
  if (semisync) {
    settings[kSemisyncWaitPoint] =
        wait_point == SemisyncWaitPoint::kAfterSync ? "AFTER_SYNC" : "AFTER_COMMIT";
  }
  return settings;
}

core::Result<OptionOverrides> MergeModeSettings(const OptionOverrides& mode_settings,
                                                const OptionOverrides& requested,
                                                const std::string& instance) {
  OptionOverrides merged = requested;
  for (const auto& [name, value] : mode_settings) {
    auto it = requested.find(name);
    if (it != requested.end() && Canonical(name, it->second) != Canonical(name, value)) {
      std::string message = "--set " + name;
      message.append("=").append(it->second);
      message.append(" contradicts the replication mode, which sets it to ").append(value);
      message.append(" on '").append(instance).append("'");
      return core::Usage(message, "drop the --set (the mode sets it) or change --replication-mode");
    }
    merged[name] = value;
  }
  return merged;
}

const char* SemisyncConfigCheckName(SemisyncConfigCheck check) {
  switch (check) {
    case SemisyncConfigCheck::kAgree: return "agree";
    case SemisyncConfigCheck::kDisagree: return "disagree";
    case SemisyncConfigCheck::kEngineUnreadable: return "engine-unreadable";
    case SemisyncConfigCheck::kConfigUnreadable: return "config-unreadable";
    case SemisyncConfigCheck::kPrimaryOnReplicaOff: return "primary-on-replica-off";
  }
  return "engine-unreadable";
}

SemisyncConfigCheck CheckInstanceSemisync(const InstanceHealth& health) {
  if (!health.readable() || health.role == InstanceRole::kUnknown)
    return SemisyncConfigCheck::kEngineUnreadable;
  bool primary = health.role == InstanceRole::kPrimary;
  const char* enabled_name = primary ? kSemisyncMasterEnabled : kSemisyncSlaveEnabled;
  std::string running = health.Fact(enabled_name);
  std::string persisted = Persisted(health, enabled_name);
  if (running.empty())
    return SemisyncConfigCheck::kEngineUnreadable;
  if (persisted.empty())
    return SemisyncConfigCheck::kConfigUnreadable;
  if (Canonical(enabled_name, running) != Canonical(enabled_name, persisted))
    return SemisyncConfigCheck::kDisagree;
  // The wait point matters only where semi-sync is on: it decides whether an acknowledged commit
  // is on a replica, and a restart that switches it silently weakens that promise.
  if (primary && Enabled(running) &&
      Canonical(kSemisyncWaitPoint, health.Fact(kSemisyncWaitPoint)) !=
          Canonical(kSemisyncWaitPoint, Persisted(health, kSemisyncWaitPoint))) {
    return SemisyncConfigCheck::kDisagree;
  }
  return SemisyncConfigCheck::kAgree;
}

void AddSemisyncConfigFindings(std::vector<InstanceHealth>* instances,
                               std::vector<Finding>* findings, Verdict* verdict) {
  bool primary_on = false;
  for (const auto& health : *instances) {
    primary_on = primary_on || (health.readable() && health.role == InstanceRole::kPrimary &&
                                Enabled(health.Fact(kSemisyncMasterEnabled)));
  }
  for (auto& health : *instances) {
    SemisyncConfigCheck check = CheckInstanceSemisync(health);
    if (check == SemisyncConfigCheck::kDisagree) {
      findings->push_back({Severity::kWarning, health.instance.name,
                           "semi-sync setting differs between the running server and its config "
                           "(a restart would change the replication mode)"});
      Raise(verdict, Verdict::kDegraded);
    } else if (check == SemisyncConfigCheck::kConfigUnreadable) {
      findings->push_back({Severity::kInfo, health.instance.name,
                           "semi-sync configuration not checked: " + health.Fact("config_error")});
    } else if (check == SemisyncConfigCheck::kAgree && primary_on &&
               health.role == InstanceRole::kReplica &&
               !Enabled(health.Fact(kSemisyncSlaveEnabled))) {
      // Why: the primary then waits out rpl_semi_sync_master_timeout on every commit and falls
      // back to async, so the durability the mode promises is not there.
      check = SemisyncConfigCheck::kPrimaryOnReplicaOff;
      findings->push_back({Severity::kWarning, health.instance.name,
                           "the primary runs semi-sync but this replica has it off"});
      Raise(verdict, Verdict::kDegraded);
    }
    health.facts[kSemisyncConfigFact] = SemisyncConfigCheckName(check);
  }
}

}  // namespace hasteward::engine::mariadb
