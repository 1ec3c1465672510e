#include "engine/postgres/repair.h"

#include <optional>

#include "core/log.h"
#include "core/wait_for.h"
#include "engine/client_tools.h"
#include "engine/postgres/config_append.h"
#include "engine/postgres/pg_connection.h"
#include "engine/repair_exec.h"
#include "platform/peer_address.h"

namespace hasteward::engine::postgres {

namespace {

// $1 data dir, $2 where it is kept; prints "moved <path>" or "absent". A kept path that exists (a
// heal of the same second) gets a ".N" suffix: `mv` into an existing directory would nest the
// data inside it, where nobody looks.
constexpr char kMoveAside[] =
    "if [ -e \"$1\" ]; then k=\"$2\"; n=1; while [ -e \"$k\" ]; do k=\"$2.$n\"; n=$((n + 1)); "
    "done; mv -- \"$1\" \"$k\" && echo \"moved $k\"; else echo absent; fi";

// The password file ($7, 0600, the OS user's) outlives the run: -R records it as the standby's
// primary_conninfo passfile, so the password never lands in argv or postgresql.auto.conf.
// --foreground keeps pg_basebackup in the script's process group, which a stop kills.
// The clone is made beside the data directory and renamed into place: an operator's instance
// manager writes its configuration files into the emptied path while the server is down
// (CloudNativePG does, even when fenced: pg_basebackup found the directory "not empty", and a
// plain rename nested the clone inside the directory it had just made again: on the real operator,
// issue 51). What appeared there holds no data directory (no PG_VERSION; the instance's data was
// moved aside before): it is renamed away and the clone renamed in with mv -T, which never nests,
// retried while the operator keeps making the path. A data directory there is refused.
constexpr char kBaseBackup[] =
    "umask 077; cat > \"$7.tmp\" && mv \"$7.tmp\" \"$7\" || exit 1; "
    "c=\"$5.hasteward-cloning\"; o=\"$5.hasteward-operator-files\"; rm -rf -- \"$c\" || exit 1; "
    "PGPASSFILE=\"$7\" timeout --foreground -k 5 \"$6\" \"$1\" -h \"$2\" -p \"$3\" -U \"$4\" -D "
    "\"$c\" -R -X stream -c fast -w || exit $?; "
    "i=0; while :; do "
    "if [ -e \"$5/PG_VERSION\" ]; then echo \"$5 holds a data directory again; the clone is at "
    "$c\" "
    ">&2; exit 3; fi; "
    "if [ -e \"$5\" ]; then rm -rf -- \"$o\" && mv -T -- \"$5\" \"$o\" || exit 1; fi; "
    "mv -T -- \"$c\" \"$5\" 2>/dev/null && break; "
    "i=$((i + 1)); if [ $i -ge 50 ]; then echo \"$5 keeps being made again; the clone is at $c\" "
    ">&2; exit 3; fi; done; rm -rf -- \"$o\"";

// Copies the instance's own config files from the kept directory over the primary's copies.
constexpr char kRestoreConfig[] =
    "for f in postgresql.conf pg_hba.conf pg_ident.conf; do "
    "if [ -f \"$1/$f\" ]; then cp -p \"$1/$f\" \"$2/$f\" || exit 1; fi; done";

void Log(const HealOptions& o, const std::string& line) {
  core::LogInfo(line);
  if (o.log)
    o.log(line);
}

}  // namespace

std::string OwnSettings(const platform::Instance& i, const std::string& why) {
  std::string s = "\n# hasteward " + why + ": settings of '" + i.name + "' from the inventory\n";
  // The server's own address (its peers'), never a port-forward this process reaches it by.
  s += "port = " + std::to_string(platform::PeerPort(i)) + "\n";
  if (!platform::PeerHost(i).empty())
    s += "listen_addresses = '" + platform::PeerHost(i) + "'\n";
  if (!i.socket.empty())
    s += "unix_socket_directories = '" + i.socket + "'\n";
  s += "cluster_name = '" + i.name + "'\n";
  return s;
}

core::Result<std::string> AppendOwnSettings(platform::Platform& platform,
                                            const platform::Cluster& cluster,
                                            const platform::Instance& target,
                                            const std::string& why) {
  std::string conf =
      target.config_file.empty() ? target.data_dir + "/postgresql.conf" : target.config_file;
  if (target.settings_owner == platform::SettingsOwner::kOperator) {
    return conf;  // the operator's instance manager writes them on the start that follows
  }
  HS_TRY(RunScript(platform, cluster, target,
                   {.what = "write config",
                    .text = kAppendConfigScript,
                    .args = {conf},
                    .input = OwnSettings(target, why)})
             .status());
  return conf;
}

namespace {

core::Result<bool> Streaming(const platform::InstanceHandle& target) {
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(target));
  HS_ASSIGN_OR_RETURN(
      auto v, conn->QueryValue("SELECT pg_is_in_recovery() AND coalesce((SELECT status FROM "
                               "pg_stat_wal_receiver), '') = 'streaming'"));
  return v.value_or("") == "t";
}

// Fences `target` (stops its server) and moves its data directory aside to `kept` (or `kept`.N).
// Returns where it was kept; nullopt when there was no directory to keep.
core::Result<std::optional<std::string>> FenceAndMoveAside(platform::Platform& platform,
                                                           const platform::Cluster& cluster,
                                                           const platform::Instance& target,
                                                           const std::string& kept,
                                                           const HealOptions& o) {
  HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, target));
  if (running) {
    HS_TRY(platform.StopInstanceWithin(cluster, target, o.delete_timeout)
               .Wrap("fence (stop) '" + target.name + "'"));
    Log(o, "fenced '" + target.name + "': server stopped");
  }
  HS_ASSIGN_OR_RETURN(
      std::string moved,
      RunScript(platform, cluster, target,
                {.what = "move data aside", .text = kMoveAside, .args = {target.data_dir, kept}}));
  if (moved.rfind("moved ", 0) != 0) {
    Log(o, "data directory '" + target.data_dir + "' was absent; nothing to keep");
    return std::optional<std::string>();
  }
  std::string kept_at = moved.substr(6);
  while (!kept_at.empty() && kept_at.back() == '\n') {
    kept_at.pop_back();
  }
  Log(o, "moved data directory '" + target.data_dir + "' aside to '" + kept_at +
             "' (kept until the heal succeeds)");
  return std::optional<std::string>(kept_at);
}

// pg_basebackup -R of the primary into the target's (now empty) data directory.
core::Status CloneFromPrimary(platform::Platform& platform, const platform::Cluster& cluster,
                              const platform::Instance& target, const platform::Instance& primary,
                              const HealOptions& o) {
  const platform::Credentials& creds =
      cluster.replication.user.empty() ? cluster.credentials : cluster.replication;
  HS_ASSIGN_OR_RETURN(std::string password, creds.password.Resolve());
  Log(o, "pg_basebackup of '" + target.name + "' from primary '" + primary.name + "' (" +
             platform::PeerHost(primary) + ":" + std::to_string(platform::PeerPort(primary)) + ")");
  // It runs where the target lives (a pod on kubernetes): the primary's peer address.
  return RunScript(
             platform, cluster, target,
             {.what = "pg_basebackup",
              .text = kBaseBackup,
              .args = {ToolPath(target, "pg_basebackup"), platform::PeerHost(primary),
                       std::to_string(platform::PeerPort(primary)), creds.user, target.data_dir,
                       std::to_string(o.heal_timeout.count()), target.data_dir + ".pgpass"},
              .input = PgPassLine(creds.user, password)})
      .status();
}

// The clone carries the primary's configuration: put back the instance's own files from the kept
// directory, or (nothing kept) append its port/socket/name from the inventory.
core::Status RestoreOwnConfig(platform::Platform& platform, const platform::Cluster& cluster,
                              const platform::Instance& target,
                              const std::optional<std::string>& kept, const HealOptions& o) {
  if (kept) {
    HS_TRY(RunScript(
               platform, cluster, target,
               {.what = "restore config", .text = kRestoreConfig, .args = {*kept, target.data_dir}})
               .status());
    Log(o, "restored the configuration of '" + target.name + "' from '" + *kept + "'");
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(std::string conf, AppendOwnSettings(platform, cluster, target, "repair"));
  if (target.settings_owner == platform::SettingsOwner::kHasteward) {
    Log(o, "wrote the inventory settings of '" + target.name + "' into '" + conf + "'");
  }
  return core::Status::Ok();
}

// Starts the target (unfence) and waits until it streams from the primary.
core::Status UnfenceAndWait(platform::Platform& platform, const platform::Cluster& cluster,
                            const platform::Instance& target, const platform::Instance& primary,
                            const HealOptions& o) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  HS_TRY(handle->Start().Wrap("start (unfence) '" + target.name + "'"));
  Log(o, "unfenced '" + target.name + "': started as a standby");
  HS_TRY(core::WaitFor("'" + target.name + "' to stream from '" + primary.name + "'",
                       o.heal_timeout, [&] { return Streaming(*handle); }));
  Log(o, "'" + target.name + "' is streaming from '" + primary.name + "'");
  return core::Status::Ok();
}

// After a successful heal the kept directory is only clutter; failing to remove it is logged, not
// an error (the heal itself succeeded).
void RemoveReplaced(platform::Platform& platform, const platform::Cluster& cluster,
                    const platform::Instance& target, const std::string& kept,
                    const HealOptions& o) {
  auto rm = RunScript(platform, cluster, target,
                      {.what = "remove replaced data", .text = "rm -rf -- \"$1\"", .args = {kept}});
  if (rm.ok()) {
    Log(o, "removed the replaced data directory '" + kept + "' (the heal succeeded)");
  } else {
    Log(o, "could not remove '" + kept + "': " + rm.status().message());
  }
}

}  // namespace

core::Status HealStandby(platform::Platform& platform, const platform::Cluster& cluster,
                         const platform::Instance& target, const platform::Instance& primary,
                         const HealOptions& o) {
  if (target.data_dir.empty()) {
    return core::Usage("instance '" + target.name + "' has no data directory in the inventory");
  }
  const std::string kept_path = target.data_dir + ".hasteward-replaced-" + o.stamp;
  HS_ASSIGN_OR_RETURN(const std::optional<std::string> kept,
                      FenceAndMoveAside(platform, cluster, target, kept_path, o));
  // Every failure from here on leaves the old data directory where the log said; the hint says how
  // to undo.
  auto fail = [&](core::Status s) {
    if (kept) {
      s.WithHint("the previous data directory of '" + target.name + "' is kept at '" + *kept +
                 "'; move it back to '" + target.data_dir + "' to undo");
    }
    return s;
  };
  core::Status healed = CloneFromPrimary(platform, cluster, target, primary, o);
  if (healed.ok())
    healed = RestoreOwnConfig(platform, cluster, target, kept, o);
  if (healed.ok())
    healed = UnfenceAndWait(platform, cluster, target, primary, o);
  if (!healed.ok())
    return fail(std::move(healed));
  if (kept && !o.keep_replaced)
    RemoveReplaced(platform, cluster, target, *kept, o);
  return core::Status::Ok();
}

}  // namespace hasteward::engine::postgres
