#include "engine/postgres/new_timeline.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "engine/postgres/config_append.h"
#include "engine/postgres/guarded_alter_system.h"
#include "engine/postgres/pg_archiving.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/target_file.h"
#include "engine/postgres/wal_names.h"
#include "engine/repair_exec.h"

namespace hasteward::engine::postgres {

namespace {

// Inside pg_wal, which PostgreSQL cleans only of segment names; removed after the promotion.
constexpr char kMarkerDir[] = "pg_wal/hasteward-taken-timelines";

// $1 data dir, $2 marker dir (relative), $3.. timelines (hex file names): one marker each.
constexpr char kWriteMarkers[] =
    "set -e; d=\"$1/$2\"; shift 2; mkdir -p \"$d\"; for f in \"$@\"; do "
    "echo '# hasteward: this timeline is taken by another history' > \"$d/$f\"; done";
// $1 data dir; stdin: settings.
constexpr char kRemoveMarkers[] = "rm -rf -- \"$1/$2\"";
// $1 data dir: the history file names of the instance and the copies kept beside it.
constexpr char kListHistories[] =
    "for d in \"$1\" \"$1\".hasteward-*; do [ -d \"$d/pg_wal\" ] && ls -1 \"$d/pg_wal\"; done "
    "2>/dev/null | grep -E '^[0-9A-F]{8}\\.history$' || true";

constexpr const char* kResetAfterPromotion[] = {"recovery_target", "recovery_target_action",
                                                "recovery_target_timeline"};

std::string TrimLeft(const std::string& s) {
  size_t i = s.find_first_not_of(" \t");
  return i == std::string::npos ? std::string() : s.substr(i);
}

}  // namespace

std::optional<std::string> AutoConfRestoreCommand(const std::string& auto_conf) {
  std::optional<std::string> found;
  std::istringstream lines(auto_conf);
  std::string line;
  while (std::getline(lines, line)) {
    line = TrimLeft(line);
    const std::string key = "restore_command";
    if (line.rfind(key, 0) != 0) {
      continue;
    }
    std::string rest = TrimLeft(line.substr(key.size()));
    if (rest.empty() || rest[0] != '=') {
      continue;
    }
    rest = TrimLeft(rest.substr(1));
    if (rest.empty() || rest[0] != '\'') {
      continue;
    }
    std::string value;
    size_t i = 1;
    bool closed = false;
    while (i < rest.size()) {
      if (rest[i] == '\'') {
        if (i + 1 < rest.size() && rest[i + 1] == '\'') {
          value += '\'';
          i += 2;
          continue;
        }
        closed = true;
        break;
      }
      value += rest[i++];
    }
    if (closed) {
      found = value;
    }
  }
  return found;
}

std::string NewTimelineSettings(const std::string& marker_dir, const std::string& history_command) {
  // %f and %p are the server's; a segment is never fetched (exit 1: pg_wal has what the backup
  // needs, and the archive's copies of its names could be of another history).
  std::string fallback = history_command.empty() ? "exit 1" : "{ " + history_command + "; }";
  std::string command = "case \"%f\" in *.history) cp \"" + marker_dir +
                        "/%f\" \"%p\" 2>/dev/null || " + fallback + " ;; *) exit 1 ;; esac";
  // No recovery target: the server replays all the WAL the tree holds, as crash recovery did,
  // then ends archive recovery with a promotion. 'immediate' would fail a backup taken from a
  // standby, whose consistent point is the end of its WAL ("recovery ended before configured
  // recovery target was reached").
  return "\n# hasteward restore: a new timeline (every restore starts a new history)\n"
         "restore_command = " +
         SqlLiteral(command) + "\nrecovery_target_timeline = 'current'\n";
}

core::Result<uint32_t> NewestTimelineOnInstances(platform::Platform& platform,
                                                 const platform::Cluster& cluster) {
  uint32_t newest = 1;
  for (const auto& instance : cluster.instances) {
    if (instance.data_dir.empty()) {
      continue;
    }
    HS_ASSIGN_OR_RETURN(std::string names,
                        RunScript(platform, cluster, instance,
                                  {.what = "list the timeline histories of '" + instance.name + "'",
                                   .text = kListHistories,
                                   .args = {instance.data_dir}}));
    std::istringstream lines(names);
    std::string name;
    while (std::getline(lines, name)) {
      auto file = ParseWalFileName(name);
      if (file.ok()) {
        newest = std::max(newest, file->timeline);
      }
    }
  }
  return newest;
}

core::Result<std::optional<std::string>> PrepareNewTimeline(platform::Platform& platform,
                                                            const platform::Cluster& cluster,
                                                            const platform::Instance& target,
                                                            const NewTimelineRequest& request) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  std::optional<std::string> previous;
  if (auto conf = ReadTargetFile(*handle, "postgresql.auto.conf"); conf.ok()) {
    previous = AutoConfRestoreCommand(*conf);
  }
  std::vector<std::string> args = {target.data_dir, kMarkerDir};
  for (uint32_t t = request.backup_timeline + 1; t <= request.taken; ++t) {
    args.push_back(WalHistoryFileName(t));
  }
  HS_TRY(
      RunScript(
          platform, cluster, target,
          {.what = "mark the timelines other histories took", .text = kWriteMarkers, .args = args})
          .status());
  // The archive's history files are found through the server's own restore_command, unless the
  // copy goes to another cluster (whose archive it must not read as its own).
  std::string history_command = request.into_another_cluster ? "" : previous.value_or("");
  HS_TRY(
      RunScript(platform, cluster, target,
                {.what = "write the restore's recovery settings",
                 .text = kAppendRecoveryScript,
                 .args = {target.data_dir},
                 .input = NewTimelineSettings(target.data_dir + "/" + kMarkerDir, history_command)})
          .status());
  return previous;
}

core::Result<uint32_t> FinishNewTimeline(
    platform::Platform& platform, const platform::Cluster& cluster,
    const platform::Instance& target, const NewTimelineRequest& request,
    const std::optional<std::string>& previous_restore_command) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(*handle));
  std::vector<std::string> statements;
  for (const char* setting : kResetAfterPromotion) {
    statements.push_back(std::string("ALTER SYSTEM RESET ") + setting);
  }
  statements.push_back(previous_restore_command
                           ? "ALTER SYSTEM SET restore_command = " +
                                 SqlLiteral(*previous_restore_command)
                           : std::string("ALTER SYSTEM RESET restore_command"));
  HS_TRY(GuardedAlterSystem(platform, cluster, target, *conn, statements));
  HS_TRY(conn->Execute("SELECT pg_reload_conf()"));
  HS_TRY(RunScript(platform, cluster, target,
                   {.what = "remove the timeline markers",
                    .text = kRemoveMarkers,
                    .args = {target.data_dir, kMarkerDir}})
             .status());
  // The WAL file name tells the timeline the server writes on now (pg_control's checkpoint
  // timeline may still be the old one while the end-of-recovery checkpoint runs).
  HS_ASSIGN_OR_RETURN(
      auto writing, conn->QueryValue("SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)"));
  unsigned long now = std::strtoul(writing.value_or("0").c_str(), nullptr, 16);
  if (now <= request.taken || now <= request.backup_timeline) {
    return core::Status(
        core::ErrorCode::kVerifyFailed,
        "'" + target.name + "' writes on timeline " + std::to_string(now) +
            ", not above every timeline another history took (" + std::to_string(request.taken) +
            ")",
        "stop the instance and restore again; the previous data directory was kept");
  }
  return static_cast<uint32_t>(now);
}

}  // namespace hasteward::engine::postgres
