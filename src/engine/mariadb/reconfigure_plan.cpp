// MariadbReconfigure::PlanReconfigure: every check that can refuse a request runs here, on every
// instance, before ApplyReconfigure changes anything.
#include <algorithm>
#include <cctype>

#include "engine/instance_handles.h"
#include "engine/mariadb/option_overrides.h"
#include "engine/mariadb/override_file.h"
#include "engine/mariadb/reconfigure.h"
#include "engine/mariadb/semisync_mode.h"

namespace hasteward::engine::mariadb {

namespace {

// The request's --set values with normalized names; kUsage for a bad name or value, or one name
// given twice with different values.
core::Result<OptionOverrides> NormalizeRequest(const ReconfigureRequest& request, bool galera) {
  if (galera && request.replication_mode) {
    return core::Usage("a galera cluster has no replication mode",
                       "galera replicates synchronously; use -e mariadb for a replication cluster");
  }
  if (request.wait_point && request.replication_mode != ReplicationMode::kSemisync) {
    return core::Usage("--semisync-wait-point needs --replication-mode semisync",
                       "add --replication-mode semisync");
  }
  OptionOverrides out;
  for (const auto& setting : request.settings) {
    HS_ASSIGN_OR_RETURN(std::string name, NormalizeVariableName(setting.name));
    HS_TRY(CheckOptionValue(name, setting.value));
    auto [it, added] = out.emplace(name, setting.value);
    if (!added && it->second != setting.value) {
      return core::Usage("'" + name + "' is set twice with different values",
                         "give each variable once");
    }
  }
  if (out.empty() && !request.replication_mode) {
    return core::Usage("nothing to reconfigure",
                       "give --set name=value or --replication-mode async|semisync");
  }
  return out;
}

// The plan of one variable on one instance.
core::Result<PlannedChange> PlanChange(MariadbConnection& conn, const OptionOverrides& startup,
                                       const std::string& name, const std::string& raw,
                                       const ReconfigureRequest& request) {
  HS_ASSIGN_OR_RETURN(auto variable, QueryServerVariable(conn, name));
  if (!variable) {
    return core::Usage("'" + name + "' is not a variable of the server on " + conn.display_name(),
                       "SHOW GLOBAL VARIABLES lists the server's variables");
  }
  if (variable->session_only) {
    return core::Usage("'" + name + "' is a session-only variable",
                       "set it in the client session instead");
  }
  PlannedChange change;
  change.name = name;
  HS_ASSIGN_OR_RETURN(change.value,
                      NormalizeValue(name, variable->type, raw, variable->enum_values));
  auto normalized = [&](const std::string& value) {
    auto spelled = NormalizeValue(name, variable->type, value, "");
    return spelled.ok() ? *spelled : value;
  };
  change.running = normalized(variable->global_value);
  auto persisted = startup.find(name);
  change.persisted =
      normalized(persisted == startup.end() ? variable->default_value : persisted->second);
  if (variable->type == VariableType::kEnum) {
    change.running = Upper(change.running);
    change.persisted = Upper(change.persisted);
  }
  if (change.running == change.value) {
    change.action =
        change.persisted == change.value ? ChangeAction::kUnchanged : ChangeAction::kPersistOnly;
  } else if (variable->read_only) {
    if (!request.restart) {
      return core::Usage("'" + name + "' is static: the server reads it only at start",
                         "add --restart for a rolling restart (replicas first, then the primary)");
    }
    change.action = ChangeAction::kPersistAndRestart;
  } else if (!change.running.empty() && !CheckOptionValue(name, change.running).ok()) {
    // Why refuse: the running value is what a failed later step puts back with SET GLOBAL, and
    // one reconfigure would not write cannot be written back safely either.
    return core::Usage("the running value of '" + name +
                           "' cannot be restored if a later step "
                           "fails",
                       "set '" + name + "' by hand");
  } else {
    change.action = ChangeAction::kApplyAndPersist;
  }
  return change;
}

core::Result<InstanceReconfigurePlan> PlanInstance(InstanceHandles& handles,
                                                   const platform::Instance& instance,
                                                   const OptionOverrides& requested,
                                                   const ReconfigureRequest& request, bool galera) {
  InstanceReconfigurePlan plan;
  plan.instance = instance;
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(instance));
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(*handle));
  HS_ASSIGN_OR_RETURN(SqlRows replication, conn->Query("SHOW ALL SLAVES STATUS"));
  plan.primary = !galera && replication.empty();
  OptionOverrides wanted = requested;
  if (request.replication_mode) {
    OptionOverrides mode =
        SemisyncSettings(*request.replication_mode,
                         request.wait_point.value_or(SemisyncWaitPoint::kAfterSync), plan.primary);
    HS_ASSIGN_OR_RETURN(wanted, MergeModeSettings(mode, requested, instance.name));
  }
  // Why read the override file now: a file we cannot parse refuses the request before any
  // instance changes, instead of failing halfway through the apply.
  HS_TRY(ReadOverrides(*handle).status());
  HS_ASSIGN_OR_RETURN(OptionOverrides startup, ReadStartupOptions(*handle));
  for (const auto& [name, raw] : wanted) {
    HS_ASSIGN_OR_RETURN(PlannedChange change, PlanChange(*conn, startup, name, raw, request));
    plan.changes.push_back(std::move(change));
  }
  return plan;
}

}  // namespace

core::Result<std::optional<ServerVariable>> QueryServerVariable(MariadbConnection& conn,
                                                                const std::string& name) {
  // `name` passed NormalizeVariableName: letters, digits and '_' only, safe inside quotes.
  HS_ASSIGN_OR_RETURN(
      SqlRows rows, conn.Query("SELECT VARIABLE_NAME, GLOBAL_VALUE, DEFAULT_VALUE, VARIABLE_TYPE, "
                               "ENUM_VALUE_LIST, READ_ONLY, VARIABLE_SCOPE FROM "
                               "information_schema.SYSTEM_VARIABLES WHERE VARIABLE_NAME = '" +
                               Upper(name) + "'"));
  if (rows.empty())
    return std::optional<ServerVariable>();
  ServerVariable variable;
  variable.name = name;
  variable.global_value = rows.GetOr(0, "GLOBAL_VALUE");
  variable.default_value = rows.GetOr(0, "DEFAULT_VALUE");
  variable.type = ClassifyVariableType(rows.GetOr(0, "VARIABLE_TYPE"));
  variable.enum_values = rows.GetOr(0, "ENUM_VALUE_LIST");
  variable.read_only = rows.GetOr(0, "READ_ONLY") == "YES";
  variable.session_only = rows.GetOr(0, "VARIABLE_SCOPE") == "SESSION ONLY";
  return std::optional<ServerVariable>(std::move(variable));
}

core::Result<ReconfigurePlan> MariadbReconfigure::PlanReconfigure(
    platform::Platform& platform, const platform::Cluster& cluster,
    const ReconfigureRequest& request) {
  HS_ASSIGN_OR_RETURN(OptionOverrides requested, NormalizeRequest(request, galera_));
  ReconfigurePlan plan;
  InstanceHandles handles(platform, cluster);
  for (const auto& instance : cluster.instances) {
    auto planned = PlanInstance(handles, instance, requested, request, galera_);
    if (!planned.ok())
      return planned.TakeStatus().Wrap("reconfigure '" + instance.name + "'");
    plan.restart =
        plan.restart || std::any_of(planned->changes.begin(), planned->changes.end(),
                                    [](const PlannedChange& change) {
                                      return change.action == ChangeAction::kPersistAndRestart;
                                    });
    plan.instances.push_back(std::move(planned).value());
  }
  // Replicas first, the primary last: switching semi-sync on, the replicas acknowledge before the
  // primary waits for them; a rolling restart keeps the primary serving longest. Switching it
  // off, the primary goes first so it never waits for replicas that stopped acknowledging.
  bool primary_first = request.replication_mode == ReplicationMode::kAsync;
  std::stable_sort(plan.instances.begin(), plan.instances.end(),
                   [primary_first](const auto& left, const auto& right) {
                     return primary_first ? left.primary && !right.primary
                                          : !left.primary && right.primary;
                   });
  return plan;
}

}  // namespace hasteward::engine::mariadb
