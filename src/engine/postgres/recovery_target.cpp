// The recovery half of a point-in-time restore: settings written before the start, and the
// proof afterwards that replay stopped at the target.
#include "engine/postgres/recovery_target.h"

#include "core/log.h"
#include "engine/postgres/archive_end_proof.h"
#include "engine/postgres/config_append.h"
#include "engine/postgres/guarded_alter_system.h"
#include "engine/postgres/pg_archiving.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/target_file.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_names.h"
#include "engine/repair_exec.h"

namespace hasteward::engine::postgres {

namespace {

// $1 data dir; stdin: the recovery settings. postgresql.auto.conf, not postgresql.conf: ALTER
// SYSTEM RESET removes them again once the server is promoted, so a standby cloned from it later
// never inherits a recovery target (it would stop replicating there and promote itself).
// $1 data dir: segments wal-fetch prefetched past the target.
constexpr char kDropPrefetched[] = "rm -rf -- \"$1/pg_wal/hasteward-prefetch\"";
constexpr const char* kRecoveryTargetSettings[] = {"recovery_target_time", "recovery_target_lsn",
                                                   "recovery_target_action",
                                                   "recovery_target_timeline"};

// "Replay the whole archive, then promote" (a DR activation, pitr/wal/wal_restore.cpp).
bool IsEndOfArchive(const RecoveryRequest& recovery) {
  return recovery.kind == RecoveryTargetKind::kEndOfArchive;
}

void Log(const NativeRestoreOptions& o, const std::string& line) {
  core::LogInfo(line);
  if (o.heal.log) {
    o.heal.log(line);
  }
}

std::string TargetSettings(const RecoveryRequest& recovery) {
  if (IsEndOfArchive(recovery)) {
    // No target: the server replays until restore_command finds no next file, then promotes.
    // Only a DR activation asks for this, and its server is another cluster than the archive's:
    // promoted, it must never push its new timeline under the source's identity (nor with the
    // source site's password file), so archiving stays off until 'archive enable' names the new
    // cluster. Set before the start: archive_mode needs a restart.
    return "archive_mode = 'off'\n";
  }
  std::string target_setting =
      recovery.kind == RecoveryTargetKind::kTime ? "recovery_target_time" : "recovery_target_lsn";
  return target_setting + " = " + SqlLiteral(recovery.target) +
         "\nrecovery_target_action = 'promote'\n";
}

std::string RecoverySettingsText(const RecoveryRequest& recovery) {
  return "\n# hasteward point-in-time restore\nrestore_command = " +
         SqlLiteral(recovery.restore_command) + "\n" + TargetSettings(recovery) +
         // The timeline the plan chose and checked (catalog/wal/timeline_path.h: the base's, or the
         // newest descendant the archive holds), never 'latest': replay must follow exactly the
         // segments whose presence was proven before anything changed.
         "recovery_target_timeline = '" + std::to_string(recovery.timeline) + "'\n";
}

// The reason PostgreSQL wrote into the new timeline's history file when recovery ended: "before
// 2026-... " / "after LSN ..." when it stopped at the target, "no recovery target specified" when
// it ran out of WAL instead.
core::Result<std::string> RecoveryStopReason(platform::Platform& platform,
                                             const platform::Cluster& cluster,
                                             const platform::Instance& target, PgConnection& conn) {
  HS_ASSIGN_OR_RETURN(
      auto timeline, conn.QueryValue("SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"));
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  HS_ASSIGN_OR_RETURN(std::string history,
                      ReadTargetFile(*handle, "pg_wal/" + timeline.value_or("") + ".history"));
  while (!history.empty() && history.back() == '\n') {
    history.pop_back();
  }
  std::string last =
      history.substr(history.rfind('\n') == std::string::npos ? 0 : history.rfind('\n') + 1);
  auto tab = last.rfind('\t');
  return tab == std::string::npos ? last : last.substr(tab + 1);
}

core::Status StoppedEarly(const platform::Instance& target, const RecoveryRequest& recovery,
                          const std::string& replay_end, const std::string& why) {
  return core::Status(core::ErrorCode::kVerifyFailed,
                      "'" + target.name + "' ended recovery at " + replay_end +
                          ", before the end of the archive's newest segment '" +
                          recovery.last_file + "' (" + why + ")",
                      "a fetch reported an archived file missing: check the repository "
                      "('hasteward pitr status', 'hasteward check') and run the activation or "
                      "restore again; the previous data directory was kept");
}

// Replay to the end of the archive consumed its newest segment (archive_end_proof.h): ended at
// or past its end, or inside it with no record in the archived copy after that point.
core::Status ProveArchiveEndReplayed(platform::Platform& platform, const platform::Cluster& cluster,
                                     const platform::Instance& target,
                                     const RecoveryRequest& recovery, PgConnection& conn) {
  HS_ASSIGN_OR_RETURN(auto replayed, conn.QueryValue("SELECT pg_last_wal_replay_lsn()"));
  const std::string replay_end = replayed.value_or("");
  auto end = ParseLsn(replay_end);
  auto segment_start = ParseLsn(recovery.target);
  if (!end || !segment_start) {
    return StoppedEarly(target, recovery, replay_end, "the server reports no replay position");
  }
  switch (JudgeReplayEnd(*end, *segment_start, kWalSegmentBytes)) {
    case ReplayEndVerdict::kConsumed: return core::Status::Ok();
    case ReplayEndVerdict::kStoppedBefore:
      return StoppedEarly(target, recovery, replay_end, "replay never read it");
    case ReplayEndVerdict::kReadSegment: break;
  }
  HS_ASSIGN_OR_RETURN(
      std::string dump,
      DumpArchivedFile(platform, cluster,
                       {.instance = &target,
                        .restore_command = recovery.read_command.empty() ? recovery.restore_command
                                                                         : recovery.read_command,
                        .name = recovery.last_file,
                        .scratch = target.data_dir + "/pg_wal/hasteward-end-proof"},
                       {"-s", replay_end}));
  if (WaldumpShowsRecords(dump)) {
    return StoppedEarly(target, recovery, replay_end, "the archived copy holds records after it");
  }
  return core::Status::Ok();
}

}  // namespace

core::Status WriteRecoverySettings(platform::Platform& platform, const platform::Cluster& cluster,
                                   const platform::Instance& target,
                                   const RecoveryRequest& recovery) {
  return RunScript(platform, cluster, target,
                   {.what = "write the recovery settings",
                    .text = kAppendRecoveryScript,
                    .args = {target.data_dir},
                    .input = RecoverySettingsText(recovery)})
      .status();
}

core::Status CheckTargetReached(platform::Platform& platform, const platform::Cluster& cluster,
                                const platform::Instance& target, const RecoveryRequest& recovery,
                                const NativeRestoreOptions& options) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*handle));
  HS_ASSIGN_OR_RETURN(std::string reason, RecoveryStopReason(platform, cluster, target, *conn));
  std::string check =
      recovery.kind == RecoveryTargetKind::kTime
          ? "SELECT coalesce(pg_last_xact_replay_timestamp() <= " + SqlLiteral(recovery.target) +
                "::timestamptz, true)"
          : "SELECT pg_last_wal_replay_lsn() >= " + SqlLiteral(recovery.target) + "::pg_lsn";
  HS_ASSIGN_OR_RETURN(auto within, conn->QueryValue(check));
  // To the end of the archive the server records no target; reaching the last archived segment
  // (the check above) is what proves it did not stop at an earlier missing file.
  bool stopped_at_target = IsEndOfArchive(recovery)
                               ? reason == "no recovery target specified"
                               : reason.rfind("before ", 0) == 0 || reason.rfind("after ", 0) == 0;
  if (!stopped_at_target || within.value_or("") != "t") {
    return core::Status(
        core::ErrorCode::kVerifyFailed,
        "'" + target.name + "' ended recovery without reaching " +
            (IsEndOfArchive(recovery) ? "the last archived segment (at " + recovery.target + ")"
                                      : recovery.target) +
            " (the server recorded: " + reason + ")",
        "run 'hasteward pitr status' for the archive's window; the previous data "
        "directory was kept");
  }
  if (IsEndOfArchive(recovery)) {
    HS_TRY(ProveArchiveEndReplayed(platform, cluster, target, recovery, *conn));
  }
  Log(options, "'" + target.name + "' stopped recovery at the target: " + reason);
  std::vector<std::string> resets;
  for (const char* setting : kRecoveryTargetSettings) {
    resets.push_back(std::string("ALTER SYSTEM RESET ") + setting);
  }
  HS_TRY(GuardedAlterSystem(platform, cluster, target, *conn, resets));
  return RunScript(
             platform, cluster, target,
             {.what = "remove prefetched WAL", .text = kDropPrefetched, .args = {target.data_dir}})
      .status();
}

}  // namespace hasteward::engine::postgres
