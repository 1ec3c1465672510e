// MariadbReconfigure::ApplyReconfigure: runtime values first, then the override file, instance by
// instance in the plan's order; a failure puts back everything already changed (newest first).
// The rolling restart is rolling_restart.cpp.
#include <utility>

#include "core/poll_until.h"
#include "engine/instance_handles.h"
#include "engine/mariadb/override_file.h"
#include "engine/mariadb/reconfigure.h"
#include "engine/mariadb/rolling_restart.h"
#include "engine/mariadb/semisync_mode.h"

namespace hasteward::engine::mariadb {

namespace {

constexpr std::chrono::seconds kSemisyncClientsWait{10};

void Log(const ReconfigureRequest& request, const std::string& line) {
  if (request.log)
    request.log(line);
}

// What was changed so far, to put back when a later step fails.
class Undo {
 public:
  void AddValue(platform::Instance instance, std::string name, std::string literal) {
    values_.push_back({std::move(instance), std::move(name), std::move(literal)});
  }
  void AddFiles(std::vector<SavedFile> files) {
    for (auto& file : files)
      files_.push_back(std::move(file));
  }
  // Best effort, newest first: what cannot be put back is logged; the caller returns the error
  // that made the undo necessary. Whether everything was put back.
  bool Run(InstanceHandles& handles, const ReconfigureRequest& request) {
    bool all = true;
    for (auto it = files_.rbegin(); it != files_.rend(); ++it) {
      core::Status restored = it->Restore();
      all = all && restored.ok();
      Log(request, "put back '" + it->path + "': " + (restored.ok() ? "ok" : restored.message()));
    }
    for (auto it = values_.rbegin(); it != values_.rend(); ++it) {
      auto handle = handles.Open(it->instance);
      auto conn = handle.ok() ? MariadbConnection::ConnectInstance(**handle)
                              : core::Result<std::unique_ptr<MariadbConnection>>(handle.status());
      core::Status restored = conn.ok()
                                  ? (*conn)->Execute("SET GLOBAL " + it->name + " = " + it->literal)
                                  : conn.status();
      all = all && restored.ok();
      Log(request, "put back " + it->name + " on '" + it->instance.name +
                       "': " + (restored.ok() ? "ok" : restored.message()));
    }
    return all;
  }

 private:
  struct Value {
    platform::Instance instance;
    std::string name;
    std::string literal;
  };
  std::vector<Value> values_;
  std::vector<SavedFile> files_;
};

core::Status ApplyRuntime(MariadbConnection& conn, const InstanceReconfigurePlan& plan,
                          const PlannedChange& change, Undo* undo) {
  HS_ASSIGN_OR_RETURN(auto variable, QueryServerVariable(conn, change.name));
  if (!variable)
    return core::Internal("variable '" + change.name + "' disappeared from the server");
  // Plan checked the running value with CheckOptionValue; an empty one is an empty string.
  std::string old_literal =
      change.running.empty() ? "''" : SqlLiteral(variable->type, change.running);
  HS_TRY(
      conn.Execute("SET GLOBAL " + change.name + " = " + SqlLiteral(variable->type, change.value)));
  undo->AddValue(plan.instance, change.name, old_literal);
  // A replica negotiates semi-sync with its primary when its IO thread connects.
  if (change.name == kSemisyncSlaveEnabled && !plan.primary) {
    HS_TRY(conn.Execute("STOP SLAVE IO_THREAD"));
    HS_TRY(conn.Execute("START SLAVE IO_THREAD"));
  }
  return core::Status::Ok();
}

core::Status ApplyInstance(InstanceHandles& handles, const InstanceReconfigurePlan& plan,
                           const ReconfigureRequest& request, Undo* undo) {
  OptionOverrides persist;
  for (const auto& change : plan.changes) {
    if (change.action != ChangeAction::kUnchanged)
      persist[change.name] = change.value;
  }
  if (persist.empty())
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(plan.instance));
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(*handle));
  for (const auto& change : plan.changes) {
    if (change.action != ChangeAction::kApplyAndPersist)
      continue;
    core::Status applied = ApplyRuntime(*conn, plan, change, undo);
    if (!applied.ok())
      return applied.Wrap("SET GLOBAL " + change.name);
    Log(request, "'" + plan.instance.name + "': " + change.name + " = " + change.value);
  }
  auto saved = PersistOverrides(*handle, persist);
  if (!saved.ok())
    return saved.TakeStatus().Wrap("persist overrides");
  if (!saved->empty())
    Log(request, "'" + plan.instance.name + "': persisted in " + saved->front().path);
  undo->AddFiles(std::move(saved).value());
  return core::Status::Ok();
}

// After switching semi-sync on: waits (bounded) until the primary counts every replica as a
// semi-sync client, so the next commit is acknowledged rather than timing out to async.
void WaitForSemisyncClients(InstanceHandles& handles, const ReconfigurePlan& plan,
                            const ReconfigureRequest& request) {
  const InstanceReconfigurePlan* primary = nullptr;
  for (const auto& instance : plan.instances)
    primary = instance.primary ? &instance : primary;
  if (primary == nullptr || request.replication_mode != ReplicationMode::kSemisync)
    return;
  std::string want = std::to_string(plan.instances.size() - 1);
  auto handle = handles.Open(primary->instance);
  bool reached = core::PollUntil(
      [&] {
        if (!handle.ok())
          return false;
        auto conn = MariadbConnection::ConnectInstance(**handle);
        auto clients = conn.ok() ? (*conn)->GlobalStatus("Rpl_semi_sync_master_clients")
                                 : core::Result<std::optional<std::string>>(conn.status());
        return clients.ok() && clients->value_or("") == want;
      },
      kSemisyncClientsWait, std::chrono::milliseconds(200));
  Log(request, reached ? "every replica acknowledges semi-sync commits"
                       : "not every replica acknowledges semi-sync yet (see 'hasteward triage')");
}

}  // namespace

core::Status MariadbReconfigure::ApplyReconfigure(platform::Platform& platform,
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
  WaitForSemisyncClients(handles, plan, request);
  if (plan.restart)
    HS_TRY(RollingRestart(handles, plan, galera_, request.log));
  return core::Status::Ok();
}

}  // namespace hasteward::engine::mariadb
