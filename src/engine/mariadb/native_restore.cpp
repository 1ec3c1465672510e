// MariadbNativeBackup's restore: a stopped instance's data directory replaced by a prepared
// mariadb-backup tree, then the replicas re-cloned from it.
#include <unistd.h>

#include "core/failpoint.h"
#include "core/log.h"
#include "core/wait_for.h"
#include "engine/client_tools.h"
#include "engine/mariadb/held_data_judge.h"
#include "engine/mariadb/history_domain.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/native_backup.h"
#include "engine/mariadb/persisted_fence.h"
#include "engine/mariadb/repair.h"
#include "engine/native_restore_steps.h"
#include "engine/repair_exec.h"

namespace hasteward::engine::mariadb {

namespace {

void Log(const NativeRestoreOptions& o, const std::string& line) {
  core::LogInfo(line);
  if (o.heal.log) {
    o.heal.log(line);
  }
}

std::string Fact(const std::map<std::string, std::string>& facts, const std::string& key) {
  auto it = facts.find(key);
  return it == facts.end() ? std::string() : it->second;
}

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

// The restored server answers; a rejected login is returned at once (it will not heal by
// waiting: a backup of another cluster brought its own accounts).
core::Status WaitAnswers(const platform::InstanceHandle& handle,
                         const NativeRestoreOptions& options) {
  const platform::Instance& target = handle.instance();
  core::Status rejected;
  HS_TRY(core::WaitFor("'" + target.name + "' to start on the restored data",
                       options.heal.heal_timeout, [&]() -> core::Result<bool> {
                         auto conn = MariadbConnection::ConnectInstance(handle);
                         if (!conn.ok() && conn.status().code() == core::ErrorCode::kAuthFailed) {
                           rejected = conn.TakeStatus();
                           return true;
                         }
                         return conn.ok();
                       }));
  if (!rejected.ok()) {
    return rejected
        .Wrap("'" + target.name +
              "' runs on the restored data but rejects the inventory's credentials (the backup "
              "brought its own accounts)")
        .WithHint(
            "set the cluster's passwords in the inventory to the restored cluster's, then "
            "run 'hasteward repair' to rebuild the other instances");
  }
  return core::Status::Ok();
}

// The restored primary replicates from no one and continues the backup's GTID sequence: its
// binary log starts empty (mariadb-backup copies none), so without the backup's binlog state the
// next transaction would reuse sequence numbers the old replicas and a point-in-time recovery
// already know.
core::Status BecomePrimary(const platform::InstanceHandle& handle, const std::string& gtid,
                           const NativeRestoreOptions& options) {
  const platform::Instance& target = handle.instance();
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(handle));
  HS_ASSIGN_OR_RETURN(SqlRows replication, conn->Query("SHOW ALL SLAVES STATUS"));
  if (!replication.empty()) {
    HS_TRY(conn->Execute("STOP ALL SLAVES"));
    HS_TRY(conn->Execute("RESET SLAVE ALL"));
  }
  HS_ASSIGN_OR_RETURN(auto log_bin, conn->QueryValue("SELECT @@global.log_bin"));
  if (log_bin.value_or("0") == "1" && !gtid.empty()) {
    HS_TRY(conn->Execute("RESET MASTER"));
    HS_TRY(conn->Execute("SET GLOBAL gtid_binlog_state = " + Quote(gtid)));
    Log(options, "'" + target.name + "' continues the backup's GTID position " + gtid);
  }
  // The restored instance is the primary now, whatever it was before (a former replica starts
  // with read_only from its configuration). Not yet when a binlog replay follows: a client
  // writing into the half-replayed database would fork it from the archive's history, so it
  // stays read-only until the replay reached its target (BinlogArchiving::OpenForWrites).
  const bool read_only = options.stay_read_only;
  HS_TRY(conn->Execute(std::string("SET GLOBAL read_only = ") + (read_only ? "ON" : "OFF")));
  return core::Status::Ok();
}

// Why a new GTID domain at every restore (docs/restore.md, "A restore starts a new history"): the
// restored primary continues the backup's numbering (BecomePrimary), so in the backup's domain its
// next transactions would get the very GTIDs the abandoned history gave other transactions after
// the backup, and the discard gate, switchover and failover would compare the two histories as
// one (a restore of a later backup of the abandoned history would replace the new writes as
// "older"). Of the ways out — a new server_id (the comparison is by sequence number, so 0-2-43
// still looks behind 0-1-60), a sequence number jumped past every known one (a later snapshot of
// the abandoned history could still be past it), or a new domain — only the domain makes every
// later position of the new history name what the abandoned one lacks. The domain is persisted on
// the target and on every instance rebuilt from it, so a replica promoted later (switchover,
// failover) writes in it too, and kept across restarts. Returns the domain.
core::Result<uint32_t> StartNewHistory(platform::Platform& platform,
                                       const platform::Cluster& cluster,
                                       const NativeRestorePlan& plan,
                                       const NativeRestoreOptions& options) {
  std::string unread;
  HS_ASSIGN_OR_RETURN(uint32_t domain,
                      ChooseHistoryDomain(platform, cluster, plan.facts, options, &unread));
  if (!unread.empty())
    Log(options, "GTID domains not read from " + unread + " (their data is kept)");
  std::vector<platform::Instance> writers = plan.rebuild;
  writers.insert(writers.begin(), plan.target);
  for (const auto& instance : writers) {
    HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, instance));
    HS_ASSIGN_OR_RETURN(std::string why_not, PersistHistoryDomain(*handle, domain));
    if (!why_not.empty()) {
      Log(options, "'" + instance.name + "' gets gtid_domain_id = " + std::to_string(domain) +
                       " only until its next restart (" + why_not +
                       "): set it in its configuration");
    }
    // A replica rebuilt later by the caller (a point-in-time restore's) is running now: it takes
    // the domain at once, so a promotion before its next restart writes in it too.
    HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, instance));
    core::Status set = running && instance.name != plan.target.name
                           ? SetHistoryDomain(*handle, domain)
                           : core::Status::Ok();
    if (!set.ok())
      Log(options, set.message() + " failed; the persisted setting applies at its next start");
  }
  Log(options, "the restored history writes in GTID domain " + std::to_string(domain) +
                   " (gtid_domain_id, persisted), apart from every history before the restore");
  return domain;
}

}  // namespace

core::Result<const platform::Instance*> MariadbNativeBackup::ChooseRestoreTarget(
    platform::Platform& platform, const platform::Cluster& cluster,
    const std::map<std::string, std::string>& /*facts*/) {
  // Why the stopped instance, not the backup's source: the backup usually comes from a replica,
  // and the instance the operator stopped for the restore is the one meant to become the primary.
  for (const auto& instance : cluster.instances) {
    HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, instance));
    if (!running) {
      return &instance;
    }
  }
  if (cluster.instances.empty()) {
    return core::NotFound("cluster '" + cluster.ns + "/" + cluster.name + "' has no instances",
                          "add its instances to the inventory");
  }
  const platform::Instance& first = cluster.instances.front();
  return core::Status(core::ErrorCode::kSafetyStop,
                      "every instance of '" + cluster.ns + "/" + cluster.name +
                          "' is running; a native restore replaces the data directory of a "
                          "stopped one",
                      "stop the instance to restore into (it becomes the primary), e.g. "
                      "'hasteward instance stop -c " +
                          cluster.name + " -n " + cluster.ns + " -i " +
                          std::to_string(first.ordinal) + "', then restore again");
}

core::Result<NativeRestorePlan> MariadbNativeBackup::PlanNativeRestore(
    platform::Platform& platform, const platform::Cluster& cluster,
    const std::map<std::string, std::string>& facts, const NativeRestoreOptions& options) {
  HS_ASSIGN_OR_RETURN(const platform::Instance* target,
                      ChooseRestoreTarget(platform, cluster, facts));
  if (target->data_dir.empty()) {
    return core::Usage("instance '" + target->name + "' has no data directory in the inventory");
  }
  NativeRestorePlan plan;
  plan.target = *target;
  plan.staging_dir = target->data_dir + ".hasteward-restore";
  plan.facts = facts;
  // Restored as root for an instance run by another OS user: the files must be that user's.
  plan.restore_owner = ::geteuid() == 0 && !target->os_user.empty();
  HS_TRY(CompleteNativeRestorePlan(cluster, *target, "rebuilt", options, plan));
  plan.rebuild_deferred = options.rebuild_later && CanRebuildLater();
  return plan;
}

core::Status MariadbNativeBackup::PrepareNativeRestore(platform::Platform& platform,
                                                       const platform::Cluster& cluster,
                                                       const NativeRestorePlan& plan) {
  return MakeStagingDirectory(platform, cluster, plan);
}

core::Status MariadbNativeBackup::CheckRestoredTree(platform::Platform& platform,
                                                    const platform::Cluster& cluster,
                                                    const NativeRestorePlan& plan) {
  // --prepare applies the redo log copied with the backup; it fails on a page or log that does
  // not check out, so it is also the proof that the restored tree is whole.
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, plan.target));
  HS_ASSIGN_OR_RETURN(core::RunOutput out,
                      handle->Run({ToolPath(plan.target, "mariadb-backup"), "--prepare",
                                   "--target-dir=" + plan.staging_dir}));
  if (!out.status.ok()) {
    std::string detail = out.err.empty() ? out.out : out.err;
    if (detail.size() > 2000) {
      detail = detail.substr(detail.size() - 2000);
    }
    return core::Status(core::ErrorCode::kVerifyFailed,
                        "mariadb-backup --prepare failed on the restored data directory: " + detail,
                        "the instance was not touched; check the repository ('hasteward repo "
                        "check --read-data') and restore another snapshot");
  }
  return core::Status::Ok();
}

core::Status MariadbNativeBackup::SwapIn(platform::Platform& platform,
                                         const platform::Cluster& cluster,
                                         const NativeRestorePlan& plan,
                                         const NativeRestoreOptions& options) {
  const platform::Instance& target = plan.target;
  std::string kept = KeptDirFor(plan, options.heal.stamp);
  HS_ASSIGN_OR_RETURN(std::optional<std::string> kept_at,
                      SwapInStaging(platform, cluster, plan, kept));
  if (kept_at) {
    Log(options, "kept the previous data directory of '" + target.name + "' at '" + *kept_at + "'");
  }
  core::Failpoint("native-restore-swapped");  // after the log names the kept copy
  return core::Status::Ok();
}

core::Status MariadbNativeBackup::RestartRestoredTarget(platform::Platform& platform,
                                                        const platform::Cluster& cluster,
                                                        const platform::Instance& target) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  HS_TRY(handle->Start().Wrap("start '" + target.name + "'"));
  HS_TRY(WaitAnswers(*handle, NativeRestoreOptions{}));
  // A former replica's configuration starts it read-only, but the restore made it the primary
  // (BecomePrimary). The restore's own fence in the configuration (a replay not yet at its point,
  // BinlogArchiving::OpenForWrites removes it) keeps it read-only as it started.
  if (ReadsPersistedFence(*handle))
    return core::Status::Ok();
  return SetReadOnly(*handle, false);
}

core::Status MariadbNativeBackup::StartAndRebuild(platform::Platform& platform,
                                                  const platform::Cluster& cluster,
                                                  const NativeRestorePlan& plan,
                                                  const NativeRestoreOptions& options) {
  const platform::Instance& target = plan.target;
  HS_ASSIGN_OR_RETURN(uint32_t domain, StartNewHistory(platform, cluster, plan, options));
  // A demoted old primary's fence would bring the new primary back read-only at its next start;
  // before a replay the restore's own fence keeps it read-only from its first moment.
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  HS_TRY(options.stay_read_only ? PersistRestoreFence(*handle) : RemovePersistedFence(*handle));
  if (plan.before_start)
    HS_TRY(plan.before_start());
  HS_TRY(handle->Start().Wrap("start '" + target.name + "'"));
  HS_TRY(WaitAnswers(*handle, options));
  HS_TRY(SetHistoryDomain(*handle, domain));
  HS_TRY(BecomePrimary(*handle, Fact(plan.facts, "gtid_position"), options));
  Log(options, "'" + target.name + "' runs on the restored data");
  core::Failpoint("native-restore-started");
  if (plan.rebuild_deferred) {
    return core::Status::Ok();
  }
  return RebuildReplicas(platform, cluster, plan, options, domain);
}

core::Status MariadbNativeBackup::RebuildReplicas(platform::Platform& platform,
                                                  const platform::Cluster& cluster,
                                                  const NativeRestorePlan& plan,
                                                  const NativeRestoreOptions& options,
                                                  uint32_t domain) {
  const platform::Instance& target = plan.target;
  for (const auto& replica : plan.rebuild) {
    // HealReplica re-clones a running replica (its GTID state lives in the server).
    HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, replica));
    if (!running) {
      HS_TRY(platform.StartInstance(cluster, replica).Wrap("start '" + replica.name + "'"));
    }
    // Running is not answering: a replica its operator brought back with the target (a
    // StatefulSet scaled up again) may still be starting its server.
    HS_ASSIGN_OR_RETURN(auto replica_handle, platform.OpenInstance(cluster, replica));
    HS_TRY(WaitAcceptsConnections(*replica_handle, options.heal.heal_timeout));
    HS_TRY(HealReplica(platform, cluster, replica, target, options.heal)
               .Wrap("rebuild '" + replica.name + "' from the restored '" + target.name + "'"));
    HS_TRY(SetHistoryDomain(*replica_handle, domain));
    Log(options, "'" + replica.name + "' rebuilt from '" + target.name + "' and replicating");
    core::Failpoint("native-restore-recloned");
  }
  return core::Status::Ok();
}

core::Status MariadbNativeBackup::FinishNativeRestore(platform::Platform& platform,
                                                      const platform::Cluster& cluster,
                                                      const NativeRestorePlan& plan,
                                                      const NativeRestoreOptions& options) {
  HS_TRY(SwapIn(platform, cluster, plan, options));
  return StartAndRebuild(platform, cluster, plan, options);
}

HeldDataJudgement MariadbNativeBackup::JudgeHeldData(
    const InstanceHealth& fresh, const std::map<std::string, std::string>& replacement) const {
  return JudgeMariadbHeldData(fresh, replacement);
}

}  // namespace hasteward::engine::mariadb
