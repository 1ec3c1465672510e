#include "engine/galera/repair.h"

#include <optional>
#include <sstream>

#include "core/log.h"
#include "core/wait_for.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/repair_exec.h"

namespace hasteward::engine::galera {

namespace {

void Log(const HealOptions& o, const std::string& line) {
  core::LogInfo(line);
  if (o.log)
    o.log(line);
}

// Keeps grastate.dat and galera.cache (when present) of data directory $1 as $2/$3<name>, by copy,
// or by a rename when $4 is "move"; prints "<name> <kept path>" for each.
constexpr char kKeepState[] =
    "mkdir -p \"$2\" || exit 1; for f in grastate.dat galera.cache; do "
    "[ -f \"$1/$f\" ] || continue; "
    "if [ \"$4\" = move ]; then mv -- \"$1/$f\" \"$2/$3$f\"; "
    "else cp -p -- \"$1/$f\" \"$2/$3$f\"; fi || exit 1; echo \"$f $2/$3$f\"; done";

// $1 data dir, $2 where it is kept: moved aside (never deleted), an empty one in its place; prints
// "kept <path>". A kept path that exists gets a ".N" suffix (`mv` would nest the data inside it).
constexpr char kMoveAside[] =
    "set -e; if [ -e \"$1\" ]; then k=\"$2\"; n=1; while [ -e \"$k\" ]; do k=\"$2.$n\"; "
    "n=$((n + 1)); done; mv -- \"$1\" \"$k\"; echo \"kept $k\"; fi; mkdir -m 700 -- \"$1\"";

// How KeepState keeps the files: a copy when they stay in use, a rename when the heal replaces
// them anyway (galera.cache can be gigabytes; in the same directory a rename costs nothing).
enum class Keeping { kCopy, kMove };

core::Result<bool> Synced(const platform::InstanceHandle& node) {
  HS_ASSIGN_OR_RETURN(auto conn, mariadb::MariadbConnection::ConnectInstance(node));
  HS_ASSIGN_OR_RETURN(auto state, conn->GlobalStatus("wsrep_local_state_comment"));
  HS_ASSIGN_OR_RETURN(auto status, conn->GlobalStatus("wsrep_cluster_status"));
  return state.value_or("") == "Synced" && status.value_or("") == "Primary";
}

core::Status StopIfRunning(platform::Platform& platform, const platform::Cluster& cluster,
                           const platform::Instance& node, const HealOptions& o) {
  HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, node));
  if (!running)
    return core::Status::Ok();
  HS_TRY(platform.StopInstanceWithin(cluster, node, o.delete_timeout)
             .Wrap("stop '" + node.name + "'"));
  Log(o, "stopped '" + node.name + "'");
  return core::Status::Ok();
}

// Keeps the node's Galera state where its platform keeps copies so they last as long as the data
// (InstanceHandle::KeptCopiesOf: beside the data directory on a host, inside it on kubernetes)
// and logs each kept path: a destructive step says what it kept and where.
core::Status KeepState(platform::Platform& platform, const platform::Cluster& cluster,
                       const platform::Instance& node, const HealOptions& o, Keeping keeping) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, node));
  const platform::InstanceHandle::KeptCopies kept = handle->KeptCopiesOf(o.stamp);
  HS_ASSIGN_OR_RETURN(std::string listed,
                      RunScript(platform, cluster, node,
                                {.what = "keep galera state",
                                 .text = kKeepState,
                                 .args = {node.data_dir, kept.dir, kept.prefix,
                                          keeping == Keeping::kMove ? "move" : "copy"},
                                 .exec_start_timeout = o.heal_timeout}));
  std::string names;
  std::string paths;
  std::istringstream lines(listed);
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.find(' ');  // "<name> <path>"; the path may hold spaces
    if (space == std::string::npos)
      continue;
    names += line.substr(0, space) + " ";
    paths += (paths.empty() ? "'" : ", '") + line.substr(space + 1) + "'";
  }
  if (names.empty()) {
    Log(o, "kept no state files of '" + node.name + "': none in '" + node.data_dir + "'");
    return core::Status::Ok();
  }
  Log(o, "kept a copy of " + names + "of '" + node.name + "' as " + paths +
             (keeping == Keeping::kMove ? " (moved: the heal replaces them)" : ""));
  return core::Status::Ok();
}

// Turns `safe_to_bootstrap: 1` back into 0 in grastate.dat (uuid and seqno as the server left
// them); nothing when the file is absent.
constexpr char kClearSafeToBootstrap[] =
    "f=\"$1/grastate.dat\"; [ -f \"$f\" ] || exit 0; "
    "sed 's/^safe_to_bootstrap:[[:space:]]*1/safe_to_bootstrap: 0/' \"$f\" > \"$f.hasteward\" && "
    "mv \"$f.hasteward\" \"$f\"";

// After a bootstrap that did not produce a Synced Primary: stop what may have started and take
// back the safe_to_bootstrap flag we wrote. Why: the flag tells the next operator (or
// `galera_new_cluster`) that this node may form a cluster on its own; left set on a node that
// never became primary, a later manual bootstrap could pick it blindly after other nodes moved
// on. With the flag cleared, the next `hasteward repair` reads every position again and decides
// afresh. Returns `failure`, with what was (or could not be) undone.
core::Status UndoBootstrap(platform::Platform& platform, const platform::Cluster& cluster,
                           const platform::Instance& node, const HealOptions& o,
                           core::Status failure) {
  std::string first = failure.hint().empty() ? "" : failure.hint() + "; ";
  core::Status stopped = StopIfRunning(platform, cluster, node, o);
  core::Status cleared = stopped.ok() ? RunScript(platform, cluster, node,
                                                  {.what = "clear safe_to_bootstrap",
                                                   .text = kClearSafeToBootstrap,
                                                   .args = {node.data_dir},
                                                   .exec_start_timeout = o.heal_timeout})
                                            .status()
                                      : stopped;
  if (!cleared.ok()) {
    Log(o, "could not undo the bootstrap of '" + node.name + "': " + cleared.message());
    return failure.WithHint(first + "'" + node.name +
                            "' may still claim safe_to_bootstrap: 1 in grastate.dat; stop it, "
                            "set it to 0 and run 'hasteward repair' again");
  }
  Log(o, "bootstrap of '" + node.name + "' failed; set safe_to_bootstrap: 0 again in its " +
             "grastate.dat (the position is kept)");
  return failure.WithHint(first + "then run 'hasteward repair' again");
}

// The node as the platform describes it after its start. Why: a platform may give a started
// instance a new address (on kubernetes the StatefulSet re-creates the pod, with a new pod IP),
// and waiting on the address read before the stop would time out on a node that is in fact
// Synced. The description read before is kept when the cluster cannot be read again.
platform::Instance AfterStart(platform::Platform& platform, const platform::Cluster& cluster,
                              const platform::Instance& node) {
  auto now = platform.FindCluster(cluster.ns, cluster.name);
  if (!now.ok()) {
    core::LogInfo("could not read '" + cluster.name + "' again after starting '" + node.name +
                  "' (" + now.status().message() + "): waiting on its former address");
    return node;
  }
  for (const auto& i : now->instances) {
    if (i.name == node.name)
      return i;
  }
  return node;
}

// A failure after `node` was stopped and before it was started again: the error says that it is
// left stopped and how to start it. Why: the stop is the platform's (on kubernetes the MariaDB is
// suspended and its StatefulSet scaled below the node), and nothing else brings it back.
// `certain` is false for a failed start, which may have started part of it.
core::Status LeftStopped(platform::Platform& platform, const platform::Cluster& cluster,
                         const platform::Instance& node, core::Status failure, bool certain) {
  std::string first = failure.hint().empty() ? "" : failure.hint() + "; ";
  return failure.WithHint(
      first + "'" + node.name + (certain ? "' is" : "' may be") + " left stopped as the " +
      platform.name() +
      " platform stops it (on kubernetes: its MariaDB suspended and its StatefulSet scaled " +
      "below the node); 'hasteward --platform " + platform.name() + " instance start -n " +
      cluster.ns + " -c " + cluster.name + " -i " + std::to_string(node.ordinal) +
      "' starts it again; then run 'hasteward triage'");
}

}  // namespace

core::Status RejoinNode(platform::Platform& platform, const platform::Cluster& cluster,
                        const platform::Instance& node, const HealOptions& o) {
  // Bounded by --heal-timeout rather than the platform's default start bound: on kubernetes the
  // start removes the helper pod and waits for the re-created pod to run, which can take longer
  // than a local process start (image pull, volume attach).
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, node));
  core::Status start = handle->Start(o.heal_timeout).Wrap("start '" + node.name + "' (join)");
  if (!start.ok())
    return LeftStopped(platform, cluster, node, std::move(start), false);
  // A handle on the instance as it is now: its address may have changed with the start.
  HS_ASSIGN_OR_RETURN(auto started,
                      platform.OpenInstance(cluster, AfterStart(platform, cluster, node)));
  HS_TRY(core::WaitFor("'" + node.name + "' to be Synced", o.heal_timeout,
                       [&] { return Synced(*started); }));
  Log(o, "'" + node.name + "' joined and is Synced");
  return core::Status::Ok();
}

core::Result<std::optional<std::string>> MoveDataDirectoryAside(platform::Platform& platform,
                                                                const platform::Cluster& cluster,
                                                                const platform::Instance& node,
                                                                const std::string& kept,
                                                                const HealOptions& o) {
  HS_ASSIGN_OR_RETURN(std::string moved, RunScript(platform, cluster, node,
                                                   {.what = "move the data directory aside",
                                                    .text = kMoveAside,
                                                    .args = {node.data_dir, kept},
                                                    .exec_start_timeout = o.heal_timeout}));
  if (!moved.starts_with("kept "))
    return std::optional<std::string>();
  std::string kept_at = moved.substr(5);
  while (!kept_at.empty() && kept_at.back() == '\n')
    kept_at.pop_back();
  return std::optional<std::string>(kept_at);
}

core::Status HealNode(platform::Platform& platform, const platform::Cluster& cluster,
                      const platform::Instance& target, const HealOptions& o) {
  HS_TRY(StopIfRunning(platform, cluster, target, o));
  // What the heal replaces must be kept whole (a node of another history, e.g. one a restore
  // abandoned, healed with --force and captured by no snapshot): the state transfer overwrites the
  // data directory, so all of it goes aside, never only grastate.dat and galera.cache.
  if (o.keep_replaced || o.only_copy_of_diverged_writes) {
    auto kept = MoveDataDirectoryAside(platform, cluster, target,
                                       target.data_dir + ".hasteward-replaced-" + o.stamp, o);
    if (!kept.ok())
      return LeftStopped(platform, cluster, target, kept.TakeStatus(), true);
    const std::string what =
        *kept ? "kept the data directory of '" + target.name + "' at '" + **kept + "'"
              : "'" + target.name + "' had no data directory";
    Log(o, what + "; it joins by a full state transfer");
    return RejoinNode(platform, cluster, target, o);
  }
  // Moved, not copied: grastate.dat is removed next, and without it the node rejoins by state
  // transfer, for which Galera starts a new galera.cache (what the old one held is no use then).
  core::Status reset = KeepState(platform, cluster, target, o, Keeping::kMove);
  if (reset.ok()) {
    reset = RunScript(platform, cluster, target,
                      {.what = "reset galera state",
                       .text = "rm -f -- \"$1/grastate.dat\"",
                       .args = {target.data_dir},
                       .exec_start_timeout = o.heal_timeout})
                .status();
  }
  if (!reset.ok())
    return LeftStopped(platform, cluster, target, std::move(reset), true);
  Log(o, "removed grastate.dat of '" + target.name + "': it rejoins by state transfer");
  return RejoinNode(platform, cluster, target, o);
}

namespace {

// Writes `grastate` (safe_to_bootstrap: 1) into the stopped node's data directory after keeping a
// copy of its Galera state, starts it with --wsrep-new-cluster and waits until it is a Synced
// Primary component; undoes the flag when it is not (UndoBootstrap).
core::Status BootstrapWith(platform::Platform& platform, const platform::Cluster& cluster,
                           const platform::Instance& node, const std::string& grastate,
                           const std::string& written, const HealOptions& o) {
  HS_TRY(StopIfRunning(platform, cluster, node, o));
  // Copied: the bootstrapped node keeps its galera.cache (other nodes may rejoin from it by
  // incremental state transfer) and gets a rewritten grastate.dat.
  HS_TRY(KeepState(platform, cluster, node, o, Keeping::kCopy));
  HS_TRY(RunScript(platform, cluster, node,
                   {.what = "write grastate.dat",
                    .text = "cat > \"$1/grastate.dat.hasteward\" && mv "
                            "\"$1/grastate.dat.hasteward\" \"$1/grastate.dat\"",
                    .args = {node.data_dir},
                    .input = grastate,
                    .exec_start_timeout = o.heal_timeout})
             .status());
  Log(o,
      "set safe_to_bootstrap: 1 and " + written + " in grastate.dat of '" + node.name + "' only");
  // Bounded and re-read after the start as in RejoinNode.
  auto handle = platform.OpenInstance(cluster, node);
  core::Status started = handle.ok() ? (*handle)->StartNewCluster(o.heal_timeout) : handle.status();
  started.Wrap("bootstrap '" + node.name + "'");
  if (started.ok()) {
    auto now = platform.OpenInstance(cluster, AfterStart(platform, cluster, node));
    started = now.ok() ? core::WaitFor("'" + node.name + "' to form a Primary component",
                                       o.heal_timeout, [&] { return Synced(**now); })
                       : now.status();
  }
  if (!started.ok())
    return UndoBootstrap(platform, cluster, node, o, std::move(started));
  Log(o, "'" + node.name + "' bootstrapped a new Primary component with --wsrep-new-cluster");
  return core::Status::Ok();
}

std::string Grastate(const std::string& uuid, long long seqno) {
  return "# GALERA saved state\nversion: 2.1\nuuid:    " + uuid +
         "\nseqno:   " + std::to_string(seqno) + "\nsafe_to_bootstrap: 1\n";
}

}  // namespace

core::Status BootstrapNode(platform::Platform& platform, const platform::Cluster& cluster,
                           const platform::Instance& node, const GaleraPosition& position,
                           const HealOptions& o) {
  if (!position.valid()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "refusing to bootstrap '" + node.name + "' from an empty position",
                        "its committed position must be read first");
  }
  return BootstrapWith(platform, cluster, node, Grastate(position.uuid, position.seqno),
                       "position " + position.uuid + ":" + std::to_string(position.seqno), o);
}

core::Result<std::string> BootstrapNewHistory(platform::Platform& platform,
                                              const platform::Cluster& cluster,
                                              const platform::Instance& node,
                                              const HealOptions& o) {
  // Why an undefined state rather than a UUID of our own in grastate.dat: with no saved state
  // Galera 26.4 starts the group "from scratch" under a UUID it generates, at seqno 1; with a
  // saved UUID it continues that history. The data and the binlog GTID (seeded from the InnoDB
  // checkpoint) are untouched by it; only the cluster's name for its history changes.
  HS_TRY(BootstrapWith(platform, cluster, node, Grastate(kZeroUuid, -1),
                       "an undefined position (a new cluster state UUID)", o));
  HS_ASSIGN_OR_RETURN(auto handle,
                      platform.OpenInstance(cluster, AfterStart(platform, cluster, node)));
  HS_ASSIGN_OR_RETURN(auto conn, mariadb::MariadbConnection::ConnectInstance(*handle));
  HS_ASSIGN_OR_RETURN(auto uuid, conn->GlobalStatus("wsrep_cluster_state_uuid"));
  if (!uuid || uuid->empty() || *uuid == kZeroUuid)
    return core::Internal("'" + node.name + "' reported no cluster state UUID after its bootstrap");
  return *uuid;
}

}  // namespace hasteward::engine::galera
