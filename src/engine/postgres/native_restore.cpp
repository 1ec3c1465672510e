// PgNativeBackup's restore: a stopped instance's data directory replaced by a base backup, then the
// other instances re-cloned from it.
#include <algorithm>
#include <cstdlib>

#include <unistd.h>

#include "core/failpoint.h"
#include "core/log.h"
#include "core/wait_for.h"
#include "engine/client_tools.h"
#include "engine/native_restore_steps.h"
#include "engine/postgres/config_append.h"
#include "engine/postgres/held_data_judge.h"
#include "engine/postgres/manifest_check.h"
#include "engine/postgres/native_backup.h"
#include "engine/postgres/native_stream.h"
#include "engine/postgres/new_timeline.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/recovery_target.h"
#include "engine/postgres/repair.h"
#include "engine/postgres/target_file.h"
#include "engine/repair_exec.h"

namespace hasteward::engine::postgres {

namespace {

void Log(const NativeRestoreOptions& o, const std::string& line) {
  core::LogInfo(line);
  if (o.heal.log) {
    o.heal.log(line);
  }
}

// The instance a native restore writes. Every instance ends up holding the backup (the others are
// re-cloned from the target), so the choice is which one the operator prepared by stopping it:
// the backup's source instance when it is stopped (its configuration in the backup fits it as
// is), else the first stopped instance (a backup copied from a standby goes back into the primary
// whose data was lost), else the source instance, whose "is running" refusal says to stop it.
core::Result<const platform::Instance*> TargetOf(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 const std::map<std::string, std::string>& facts) {
  auto source_fact = facts.find("source_instance");
  const platform::Instance* source = nullptr;
  for (const auto& instance : cluster.instances) {
    if (source_fact != facts.end() && instance.name == source_fact->second) {
      source = &instance;
    }
  }
  if (source != nullptr) {
    HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, *source));
    if (!running) {
      return source;
    }
  }
  for (const auto& instance : cluster.instances) {
    if (&instance == source) {
      continue;
    }
    HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, instance));
    if (!running) {
      return &instance;
    }
  }
  return source != nullptr ? source : cluster.FindInstance(0);
}

// Compares the target's current data (when it has any) with the backup's identity.
core::Status CheckIdentity(platform::Platform& platform, const platform::Cluster& cluster,
                           const platform::Instance& target,
                           const std::map<std::string, std::string>& facts, bool force) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  auto control = ReadTargetFile(*handle, "global/pg_control");
  if (!control.ok()) {
    if (control.status().code() == core::ErrorCode::kNotFound) {
      return core::Status::Ok();  // no data to compare with (a destroyed data directory)
    }
    return control.TakeStatus().Wrap("read the pg_control of '" + target.name + "'");
  }
  HS_ASSIGN_OR_RETURN(std::string current_id, SystemIdentifierFromControl(*control));
  std::string current_version;
  auto version = ReadTargetFile(*handle, "PG_VERSION");
  if (version.ok()) {
    current_version = version->substr(0, version->find('\n'));
  }
  auto wanted = [&facts](const char* key) {
    auto it = facts.find(key);
    return it == facts.end() ? std::string() : it->second;
  };
  std::string mismatch;
  if (!wanted("system_identifier").empty() && wanted("system_identifier") != current_id) {
    mismatch = "system identifier " + wanted("system_identifier") + " (the data directory holds " +
               current_id + ")";
  } else if (!wanted("pg_version").empty() && !current_version.empty() &&
             wanted("pg_version") != current_version) {
    mismatch = "major version " + wanted("pg_version") + " (the data directory holds " +
               current_version + ")";
  }
  if (mismatch.empty()) {
    return core::Status::Ok();
  }
  if (force) {
    core::LogWarn("restoring a backup of another cluster into '" + target.name + "': " + mismatch);
    return core::Status::Ok();
  }
  return core::Status(
      core::ErrorCode::kSafetyStop,
      "the backup belongs to another cluster than '" + target.name + "': " + mismatch,
      "check the snapshot and cluster; pass --force to restore it anyway");
}

core::Result<bool> AcceptsWrites(const platform::InstanceHandle& instance) {
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(instance));
  HS_ASSIGN_OR_RETURN(auto v, conn->QueryValue("SELECT NOT pg_is_in_recovery()"));
  return v.value_or("") == "t";
}

// Waits until the restored server accepts writes (after a point-in-time restore: was promoted).
core::Status WaitUntilWritable(platform::Platform& platform, const platform::Cluster& cluster,
                               const platform::Instance& target,
                               const NativeRestoreOptions& options) {
  // Rejected credentials will not heal by waiting: the backup (of another cluster, --force)
  // brought its own roles and passwords.
  core::Status rejected;
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  HS_TRY(core::WaitFor(
      "'" + target.name + "' to finish recovery from the backup", options.heal.heal_timeout,
      [&]() -> core::Result<bool> {
        auto writable = AcceptsWrites(*handle);
        if (!writable.ok() && writable.status().code() == core::ErrorCode::kAuthFailed) {
          rejected = writable.TakeStatus();
          return true;
        }
        if (!writable.ok() && options.recovery) {
          // A recovery that cannot reach its target ends with the server's exit.
          HS_ASSIGN_OR_RETURN(bool running, handle->IsRunning());
          if (!running) {
            rejected =
                core::Status(core::ErrorCode::kVerifyFailed,
                             "'" + target.name + "' stopped during recovery before reaching " +
                                 options.recovery->target,
                             "read the server log; the previous data directory was kept");
            return true;
          }
        }
        return writable;
      }));
  if (!rejected.ok() && rejected.code() == core::ErrorCode::kVerifyFailed) {
    return rejected;
  }
  if (!rejected.ok()) {
    return rejected
        .Wrap("'" + target.name +
              "' runs on the restored data but rejects the inventory's "
              "credentials (the backup brought its own roles and passwords)")
        .WithHint(
            "set the cluster's passwords in the inventory to the restored cluster's, then "
            "run 'hasteward repair' to re-clone the other instances");
  }
  return core::Status::Ok();
}

// A plain restore's new timeline: above every one the cluster's instances, the copies kept beside
// them and the repository (options.newest_taken_timeline) know. Unused for a point-in-time
// restore, whose recovery promotes on its own.
core::Result<NewTimelineRequest> NewTimelineFor(platform::Platform& platform,
                                                const platform::Cluster& cluster,
                                                const NativeRestorePlan& plan,
                                                const NativeRestoreOptions& options) {
  NewTimelineRequest timeline;
  if (options.recovery) {
    return timeline;
  }
  HS_ASSIGN_OR_RETURN(timeline.taken, NewestTimelineOnInstances(platform, cluster));
  timeline.taken = std::max(timeline.taken, options.newest_taken_timeline);
  auto backup_timeline = plan.facts.find("timeline");
  if (backup_timeline != plan.facts.end()) {
    timeline.backup_timeline = static_cast<uint32_t>(
        std::max(1UL, std::strtoul(backup_timeline->second.c_str(), nullptr, 10)));
  }
  timeline.into_another_cluster = options.into_another_cluster;
  return timeline;
}

// The backup carries its source's configuration: the target's own port and socket, and no
// archiving as the source when the copy goes to another cluster.
core::Status ConfigureRestored(platform::Platform& platform, const platform::Cluster& cluster,
                               const platform::Instance& target,
                               const NativeRestoreOptions& options) {
  HS_TRY(AppendOwnSettings(platform, cluster, target, "native restore").status());
  if (!options.into_another_cluster) {
    return core::Status::Ok();
  }
  // postgresql.auto.conf (ALTER SYSTEM, `archive enable`) overrides the config file: the off goes
  // there, after the backup's own archive_mode = on.
  return RunScript(platform, cluster, target,
                   {.what = "turn the backup's archiving off",
                    .text = kAppendConfigScript,
                    .args = {target.data_dir + "/postgresql.auto.conf"},
                    .input = "\n# hasteward: a copy in another cluster never archives as its "
                             "source\narchive_mode = 'off'\n"})
      .status();
}

// A point-in-time restore promoted on WAL that stopped short of its target is stopped again, so
// that no client writes on top of it before a rerun restores (the error names what was kept).
core::Status StopUnlessTargetReached(platform::Platform& platform, const platform::Cluster& cluster,
                                     const platform::Instance& target,
                                     const NativeRestoreOptions& options) {
  core::Status reached = CheckTargetReached(platform, cluster, target, *options.recovery, options);
  if (!reached.ok()) {
    core::Status stopped = platform.StopInstance(cluster, target);
    if (!stopped.ok()) {
      core::LogWarn("could not stop '" + target.name + "': " + stopped.message());
    }
  }
  return reached;
}

}  // namespace

core::Result<NativeRestorePlan> PgNativeBackup::PlanNativeRestore(
    platform::Platform& platform, const platform::Cluster& cluster,
    const std::map<std::string, std::string>& facts, const NativeRestoreOptions& options) {
  HS_ASSIGN_OR_RETURN(const platform::Instance* target, TargetOf(platform, cluster, facts));
  if (target == nullptr) {
    return core::NotFound("cluster '" + cluster.ns + "/" + cluster.name + "' has no instances",
                          "add its instances to the inventory");
  }
  if (target->data_dir.empty()) {
    return core::Usage("instance '" + target->name + "' has no data directory in the inventory");
  }
  HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, *target));
  if (running) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "instance '" + target->name + "' is running; a native restore replaces its data directory",
        "stop it first ('hasteward instance stop -c " + cluster.name + " -n " + cluster.ns +
            " -i " + std::to_string(target->ordinal) + "'), then restore again");
  }
  HS_TRY(CheckIdentity(platform, cluster, *target, facts, options.force));
  NativeRestorePlan plan;
  plan.target = *target;
  plan.facts = facts;  // the backup's timeline, which the restored server leaves
  plan.staging_dir = target->data_dir + ".hasteward-restore";
  // Restored as root for an instance run by another OS user: the files must be that user's.
  plan.restore_owner = ::geteuid() == 0 && !target->os_user.empty();
  HS_TRY(CompleteNativeRestorePlan(cluster, *target, "re-cloned", options, plan));
  return plan;
}

core::Status PgNativeBackup::PrepareNativeRestore(platform::Platform& platform,
                                                  const platform::Cluster& cluster,
                                                  const NativeRestorePlan& plan) {
  return MakeStagingDirectory(platform, cluster, plan);
}

std::string PgNativeBackup::ChecksumManifestName() const {
  return "backup_manifest";
}

core::Result<std::unique_ptr<RestoredTreeCheck>> PgNativeBackup::MakeRestoredTreeCheck(
    std::string_view manifest) {
  return MakeBackupManifestCheck(manifest);
}

core::Status PgNativeBackup::CheckRestoredTree(platform::Platform& platform,
                                               const platform::Cluster& cluster,
                                               const NativeRestorePlan& plan) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, plan.target));
  std::vector<std::string> argv = {ToolPath(plan.target, "pg_verifybackup"), "--quiet"};
  // The checksums were compared while the files were written (BackupManifestCheck); reading the
  // whole tree back for them again took about a tenth of a restore. pg_verifybackup still checks
  // the manifest's own checksum, that every file it lists is there with its size and no other
  // file is, and that the WAL the backup needs parses.
  if (plan.checksums_checked) {
    argv.emplace_back("--skip-checksums");
  }
  argv.push_back(plan.staging_dir);
  HS_ASSIGN_OR_RETURN(core::RunOutput out, handle->Run(argv));
  if (!out.status.ok()) {
    std::string detail = out.err.empty() ? out.out : out.err;
    return core::Status(
        core::ErrorCode::kVerifyFailed,
        "the restored data directory does not match its backup manifest: " + detail.substr(0, 2000),
        "the instance was not touched; check the repository ('hasteward repo "
        "check --read-data') and restore another snapshot");
  }
  return core::Status::Ok();
}

core::Status PgNativeBackup::FinishNativeRestore(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 const NativeRestorePlan& plan,
                                                 const NativeRestoreOptions& options) {
  const platform::Instance& target = plan.target;
  // Read before the swap moves the replaced data aside: the timelines its history took.
  HS_ASSIGN_OR_RETURN(NewTimelineRequest timeline,
                      NewTimelineFor(platform, cluster, plan, options));
  std::string kept = KeptDirFor(plan, options.heal.stamp);
  // A restored standby's signal files would start the primary as a standby.
  HS_ASSIGN_OR_RETURN(
      std::optional<std::string> kept_at,
      SwapInStaging(platform, cluster, plan, kept, {"standby.signal", "recovery.signal"}));
  if (kept_at) {
    Log(options, "kept the previous data directory of '" + target.name + "' at '" + *kept_at + "'");
  }
  core::Failpoint("native-restore-swapped");  // after the log names the kept copy
  HS_TRY(ConfigureRestored(platform, cluster, target, options));
  std::optional<std::string> previous_restore_command;
  if (options.recovery) {
    HS_TRY(WriteRecoverySettings(platform, cluster, target, *options.recovery));
    Log(options, "'" + target.name + "' replays archived WAL up to " + options.recovery->target);
  } else {
    // Not the backup's timeline continued: its names belong to the history the backup came from.
    HS_ASSIGN_OR_RETURN(previous_restore_command,
                        PrepareNewTimeline(platform, cluster, target, timeline));
  }
  core::Failpoint("native-restore-configured");
  if (plan.before_start)
    HS_TRY(plan.before_start());
  HS_TRY(platform.StartInstance(cluster, target).Wrap("start '" + target.name + "'"));
  HS_TRY(WaitUntilWritable(platform, cluster, target, options));
  Log(options, "'" + target.name + "' runs on the restored data and accepts writes");
  // A point-in-time restore: promoted, its target not yet checked.
  core::Failpoint("native-restore-started");
  if (options.recovery) {
    HS_TRY(StopUnlessTargetReached(platform, cluster, target, options));
  } else {
    HS_ASSIGN_OR_RETURN(uint32_t now, FinishNewTimeline(platform, cluster, target, timeline,
                                                        previous_restore_command));
    Log(options, "'" + target.name + "' starts a new history on timeline " + std::to_string(now) +
                     " (the backup's was " + std::to_string(timeline.backup_timeline) + ")");
  }
  for (const auto& standby : plan.rebuild) {
    HS_TRY(HealStandby(platform, cluster, standby, target, options.heal)
               .Wrap("re-clone '" + standby.name + "' from the restored '" + target.name + "'"));
    Log(options, "'" + standby.name + "' re-cloned from '" + target.name + "' and streaming");
    core::Failpoint("native-restore-recloned");
  }
  return core::Status::Ok();
}

HeldDataJudgement PgNativeBackup::JudgeHeldData(
    const InstanceHealth& fresh, const std::map<std::string, std::string>& replacement) const {
  return JudgePgHeldData(fresh, replacement);
}

}  // namespace hasteward::engine::postgres
