// PostgresReconfigure::PlanReconfigure: every check that can refuse a request runs here, on every
// instance, before ApplyReconfigure changes anything.
#include <algorithm>
#include <cstdlib>

#include "engine/instance_handles.h"
#include "engine/postgres/reconfigure.h"
#include "engine/postgres/reconfigure_request.h"

namespace hasteward::engine::postgres {

namespace {

std::optional<double> Bound(const std::optional<std::string>& text) {
  if (!text || text->empty())
    return std::nullopt;
  return std::strtod(text->c_str(), nullptr);
}

std::vector<std::string> SplitEnumValues(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (!text.empty() && start <= text.size()) {
    size_t comma = text.find(',', start);
    out.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return out;
}

// `lowers_limit` is set when a restart-only change lowers a hot-standby limit on the primary.
core::Result<InstanceReconfigurePlan> PlanInstance(InstanceHandles& handles,
                                                   const platform::Instance& instance,
                                                   const std::map<std::string, std::string>& wanted,
                                                   const ReconfigureRequest& request,
                                                   bool* lowers_limit) {
  InstanceReconfigurePlan plan;
  plan.instance = instance;
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(instance));
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*handle));
  HS_ASSIGN_OR_RETURN(auto recovery, conn->QueryValue("SELECT pg_is_in_recovery()"));
  plan.primary = recovery.value_or("") == "f";
  for (const auto& [name, raw] : wanted) {
    HS_ASSIGN_OR_RETURN(auto setting, QuerySetting(*conn, name));
    if (!setting) {
      return core::Usage("unknown variable '" + name + "' on " + conn->display_name(),
                         "SELECT name FROM pg_settings lists the server's settings");
    }
    HS_ASSIGN_OR_RETURN(std::string value, NormalizeSettingValue(*setting, raw));
    HS_ASSIGN_OR_RETURN(PlannedChange change, DecideChange(*setting, value, request.restart));
    if (plan.primary && change.action == ChangeAction::kPersistAndRestart &&
        LowersStandbyLimit(*setting, value)) {
      *lowers_limit = true;
    }
    plan.changes.push_back(std::move(change));
  }
  return plan;
}

}  // namespace

core::Result<std::optional<PgSetting>> QuerySetting(PgConnection& conn, const std::string& name) {
  HS_ASSIGN_OR_RETURN(std::string literal, conn.QuoteLiteral(name));
  HS_ASSIGN_OR_RETURN(
      SqlRows rows,
      conn.Query("SELECT name, context, vartype, coalesce(unit, '') AS unit, min_val, max_val, "
                 "array_to_string(enumvals, ',') AS enumvals, source, boot_val, "
                 "current_setting(name) AS running FROM pg_settings WHERE name = " +
                 literal));
  if (rows.empty())
    return std::optional<PgSetting>();
  PgSetting setting;
  setting.name = name;
  auto context = ParseSettingContext(rows.GetOr(0, "context"));
  auto type = ParseSettingType(rows.GetOr(0, "vartype"));
  if (!context || !type) {
    // Fail closed: a context or type this code does not know may need what it cannot give.
    return core::Usage("'" + name + "' has context '" + rows.GetOr(0, "context") + "' and type '" +
                           rows.GetOr(0, "vartype") + "', which hasteward does not know",
                       "set it by hand with ALTER SYSTEM");
  }
  setting.context = *context;
  setting.type = *type;
  setting.unit = rows.GetOr(0, "unit");
  setting.min_value = Bound(rows.Get(0, "min_val"));
  setting.max_value = Bound(rows.Get(0, "max_val"));
  setting.enum_values = SplitEnumValues(rows.GetOr(0, "enumvals"));
  setting.source = rows.GetOr(0, "source");
  setting.boot_value = rows.GetOr(0, "boot_val");
  setting.running = rows.GetOr(0, "running");
  // pg_file_settings re-reads the files now (postgresql.conf, its includes, then
  // postgresql.auto.conf); the last entry for a name is the one a start applies.
  HS_ASSIGN_OR_RETURN(SqlRows files, conn.Query("SELECT setting FROM pg_file_settings WHERE "
                                                "lower(name) = " +
                                                literal + " ORDER BY seqno DESC LIMIT 1"));
  if (!files.empty())
    setting.file_value = files.GetOr(0, "setting");
  return std::optional<PgSetting>(std::move(setting));
}

core::Result<AutoConfEntries> QueryAutoConf(PgConnection& conn) {
  HS_ASSIGN_OR_RETURN(SqlRows rows,
                      conn.Query("SELECT lower(name) AS name, setting FROM pg_file_settings "
                                 "WHERE sourcefile LIKE '%/postgresql.auto.conf' ORDER BY seqno"));
  AutoConfEntries entries;
  for (size_t row = 0; row < rows.size(); ++row)
    entries.emplace_back(rows.GetOr(row, "name"), rows.GetOr(row, "setting"));
  return entries;
}

core::Result<ReconfigurePlan> PostgresReconfigure::PlanReconfigure(
    platform::Platform& platform, const platform::Cluster& cluster,
    const ReconfigureRequest& request) {
  HS_ASSIGN_OR_RETURN(auto wanted, PostgresSettingsOf(request));
  ReconfigurePlan plan;
  InstanceHandles handles(platform, cluster);
  for (const auto& instance : cluster.instances) {
    auto planned = PlanInstance(handles, instance, wanted, request, &plan.primary_restarts_first);
    if (!planned.ok())
      return planned.TakeStatus().Wrap("reconfigure '" + instance.name + "'");
    plan.restart =
        plan.restart || std::any_of(planned->changes.begin(), planned->changes.end(),
                                    [](const PlannedChange& change) {
                                      return change.action == ChangeAction::kPersistAndRestart;
                                    });
    plan.instances.push_back(std::move(planned).value());
  }
  auto primaries = std::count_if(plan.instances.begin(), plan.instances.end(),
                                 [](const auto& instance) { return instance.primary; });
  if (primaries != 1) {
    // Why refuse: the order of the changes and of a restart depends on which one is primary, and
    // a cluster with none or two needs a failover or repair first.
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "reconfigure needs exactly one primary, the cluster has " + std::to_string(primaries),
        "run 'hasteward triage' and fix the cluster first");
  }
  // Standbys first, the primary last: a rolling restart keeps the primary serving longest, and a
  // standby with synchronous_standby_names set waits for nothing until it is promoted. Switching
  // synchronous replication off, the primary goes first so its commits stop waiting at once.
  bool primary_first = request.replication_mode == ReplicationMode::kAsync;
  std::stable_sort(plan.instances.begin(), plan.instances.end(),
                   [primary_first](const auto& left, const auto& right) {
                     return primary_first ? left.primary && !right.primary
                                          : !left.primary && right.primary;
                   });
  return plan;
}

}  // namespace hasteward::engine::postgres
