// PostgresReconfigure::ApplyReconfigure: ALTER SYSTEM and a reload, instance by instance in the
// plan's order, each change verified in a new session; a failure puts back everything already
// written (newest first). The rolling restart is rolling_restart.cpp.
#include <utility>

#include "core/poll_until.h"
#include "engine/instance_handles.h"
#include "engine/postgres/reconfigure.h"
#include "engine/postgres/reconfigure_request.h"
#include "engine/postgres/rolling_restart.h"

namespace hasteward::engine::postgres {

namespace {

// A reload is asynchronous: the postmaster rereads the files when it handles SIGHUP.
constexpr std::chrono::seconds kReloadWait{10};
constexpr std::chrono::seconds kSyncStandbyWait{10};

void Log(const ReconfigureRequest& request, const std::string& line) {
  if (request.log)
    request.log(line);
}

// ALTER SYSTEM for one setting: SET to a literal, or RESET (drops it from postgresql.auto.conf).
// `name` passed NormalizeSettingName: letters, digits, '_' and '.' only, safe unquoted.
core::Status AlterSystem(PgConnection& conn, const std::string& name,
                         const std::optional<std::string>& value) {
  if (!value)
    return conn.Execute("ALTER SYSTEM RESET " + name);
  HS_ASSIGN_OR_RETURN(std::string literal, conn.QuoteLiteral(*value));
  return conn.Execute("ALTER SYSTEM SET " + name + " = " + literal);
}

core::Status Reload(PgConnection& conn) {
  return conn.Execute("SELECT pg_reload_conf()");
}

// What was written so far, to put back when a later step fails.
class Undo {
 public:
  // Before the first write on `instance`: its postgresql.auto.conf as it is.
  void Begin(platform::Instance instance, AutoConfEntries before) {
    instances_.push_back({std::move(instance), std::move(before), {}});
  }
  // After a write of `name` on the instance of the last Begin.
  void Written(const std::string& name) { instances_.back().changed.push_back(name); }
  // Best effort, newest instance first, each reloaded after its file is back: what cannot be put
  // back is logged; the caller returns the error that made the undo necessary. Whether everything
  // was put back.
  bool Run(InstanceHandles& handles, const ReconfigureRequest& request) {
    bool all = true;
    for (auto it = instances_.rbegin(); it != instances_.rend(); ++it) {
      if (it->changed.empty())
        continue;
      core::Status restored = PutBack(handles, *it);
      all = all && restored.ok();
      Log(request, "put back postgresql.auto.conf on '" + it->instance.name +
                       "': " + (restored.ok() ? "ok" : restored.message()));
    }
    return all;
  }

 private:
  struct InstanceUndo {
    platform::Instance instance;
    AutoConfEntries before;
    std::vector<std::string> changed;
  };
  static core::Status PutBack(InstanceHandles& handles, const InstanceUndo& undo) {
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(undo.instance));
    HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*handle));
    for (const auto& step : AutoConfUndoSteps(undo.before, undo.changed))
      HS_TRY(AlterSystem(*conn, step.name, step.value).Wrap("ALTER SYSTEM for " + step.name));
    return Reload(*conn);
  }
  std::vector<InstanceUndo> instances_;
};

// Polls new sessions until `change` runs with its requested value (the reload reached the
// postmaster, which passes it on to new backends). kInternal when it does not within kReloadWait.
core::Status VerifyRunning(const platform::InstanceHandle& handle, const PlannedChange& change,
                           const ReconfigureRequest& request) {
  const platform::Instance& instance = handle.instance();
  std::string seen;
  bool unverifiable = false;
  bool reached = core::PollUntil(
      [&] {
        auto conn = PgConnection::ConnectInstance(handle);
        if (!conn.ok())
          return false;
        auto setting = QuerySetting(**conn, change.name);
        if (!setting.ok() || !*setting)
          return false;
        seen = (*setting)->running;
        unverifiable = SessionOverridden(**setting);
        return unverifiable || SameSettingValue(**setting, seen, change.value);
      },
      kReloadWait, std::chrono::milliseconds(100));
  if (unverifiable) {
    Log(request, "'" + instance.name + "': " + change.name +
                     " not verified: the admin role or database sets it for its sessions");
    return core::Status::Ok();
  }
  if (reached)
    return core::Status::Ok();
  return core::Internal("'" + instance.name + "' still runs " + change.name + " = '" + seen + "' " +
                        std::to_string(kReloadWait.count()) + " s after the reload (requested '" +
                        change.value + "')");
}

core::Status ApplyInstance(InstanceHandles& handles, const InstanceReconfigurePlan& plan,
                           const ReconfigureRequest& request, Undo* undo) {
  bool writes = false;
  for (const auto& change : plan.changes)
    writes = writes || change.action != ChangeAction::kUnchanged;
  if (!writes)
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(plan.instance));
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*handle));
  HS_ASSIGN_OR_RETURN(AutoConfEntries before, QueryAutoConf(*conn));
  undo->Begin(plan.instance, std::move(before));
  for (const auto& change : plan.changes) {
    if (change.action == ChangeAction::kUnchanged)
      continue;
    core::Status written = AlterSystem(*conn, change.name, change.value);
    if (!written.ok()) {
      // The server checks the value the same way on every instance: a value it rejects is a
      // refused request, not a broken instance.
      if (written.message().find("invalid value for parameter") != std::string::npos)
        return core::Usage(written.message(), "give a value the server accepts");
      return written.Wrap("ALTER SYSTEM SET " + change.name);
    }
    undo->Written(change.name);
    Log(request, "'" + plan.instance.name + "': " + change.name + " = '" + change.value + "' (" +
                     ChangeActionName(change.action) + ")");
  }
  HS_TRY(Reload(*conn).Wrap("pg_reload_conf()"));
  for (const auto& change : plan.changes) {
    if (change.action == ChangeAction::kApplyAndPersist)
      HS_TRY(VerifyRunning(*handle, change, request));
  }
  return core::Status::Ok();
}

const InstanceReconfigurePlan* PrimaryOf(const ReconfigurePlan& plan) {
  for (const auto& instance : plan.instances) {
    if (instance.primary)
      return &instance;
  }
  return nullptr;
}

// After switching synchronous replication on: waits (bounded) until the primary has a standby it
// counts for synchronous commits, so the next commit does not wait for one to connect.
void WaitForSyncStandby(InstanceHandles& handles, const ReconfigurePlan& plan,
                        const ReconfigureRequest& request) {
  const InstanceReconfigurePlan* primary = PrimaryOf(plan);
  if (primary == nullptr || request.replication_mode != ReplicationMode::kSemisync)
    return;
  auto handle = handles.Open(primary->instance);
  bool reached = core::PollUntil(
      [&] {
        if (!handle.ok())
          return false;
        auto conn = PgConnection::ConnectInstance(**handle);
        auto count = conn.ok() ? (*conn)->QueryValue(
                                     "SELECT count(*) FROM pg_stat_replication WHERE sync_state "
                                     "IN ('sync', 'quorum')")
                               : core::Result<std::optional<std::string>>(conn.status());
        return count.ok() && count->value_or("0") != "0";
      },
      kSyncStandbyWait, std::chrono::milliseconds(200));
  Log(request, reached ? "the primary has a synchronous standby"
                       : "no standby acknowledges synchronous commits yet (see 'hasteward "
                         "triage'): commits on the primary wait until one does");
}

// After the restart every instance must run what was persisted.
core::Status VerifyRestarted(InstanceHandles& handles, const ReconfigurePlan& plan) {
  for (const auto& instance : plan.instances) {
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(instance.instance));
    HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*handle));
    for (const auto& change : instance.changes) {
      if (change.action != ChangeAction::kPersistAndRestart)
        continue;
      HS_ASSIGN_OR_RETURN(auto setting, QuerySetting(*conn, change.name));
      if (!setting || !SameSettingValue(*setting, setting->running, change.value)) {
        return core::Internal("'" + instance.instance.name + "' runs " + change.name + " = '" +
                              (setting ? setting->running : "?") + "' after its restart, not '" +
                              change.value + "'");
      }
    }
  }
  return core::Status::Ok();
}

}  // namespace

core::Status PostgresReconfigure::ApplyReconfigure(platform::Platform& platform,
                                                   const platform::Cluster& cluster,
                                                   const ReconfigurePlan& plan,
                                                   const ReconfigureRequest& request) {
  InstanceHandles handles(platform, cluster);  // one per instance for the whole reconfigure
  Undo undo;
  for (const auto& instance : plan.instances) {
    core::Status applied = ApplyInstance(handles, instance, request, &undo);
    if (!applied.ok()) {
      bool undone = undo.Run(handles, request);
      return applied.Wrap("reconfigure '" + instance.instance.name + "'")
          .WithHint(ApplyFailureHint(undone));
    }
  }
  WaitForSyncStandby(handles, plan, request);
  if (!plan.restart)
    return core::Status::Ok();
  if (plan.primary_restarts_first) {
    Log(request,
        "a hot-standby limit is lowered: the primary restarts first, the standbys after it");
  }
  HS_TRY(RollingRestart(handles, plan, request.log));
  return VerifyRestarted(handles, plan);
}

}  // namespace hasteward::engine::postgres
