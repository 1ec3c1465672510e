#include "engine/galera/repair.h"

#include "core/log.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/repair_exec.h"

namespace hasteward::engine::galera {

namespace {

void Log(const HealOptions& o, const std::string& line) {
  core::LogInfo(line);
  if (o.log)
    o.log(line);
}

// Copies grastate.dat and galera.cache (when present) into $2; prints what it kept.
constexpr char kKeepState[] =
    "mkdir -p \"$2\" || exit 1; for f in grastate.dat galera.cache; do "
    "if [ -f \"$1/$f\" ]; then cp -p \"$1/$f\" \"$2/$f\" || exit 1; echo \"$f\"; fi; done";

core::Result<bool> Synced(const platform::Cluster& cluster, const platform::Instance& node) {
  HS_ASSIGN_OR_RETURN(auto conn, mariadb::MariadbConnection::ConnectInstance(cluster, node));
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

core::Status KeepState(platform::Platform& platform, const platform::Cluster& cluster,
                       const platform::Instance& node, const HealOptions& o) {
  std::string kept = node.data_dir + ".hasteward-kept-" + o.stamp;
  HS_ASSIGN_OR_RETURN(
      std::string files,
      RunScript(platform, cluster, node,
                {.what = "keep galera state", .text = kKeepState, .args = {node.data_dir, kept}}));
  for (auto& c : files) {
    if (c == '\n')
      c = ' ';
  }
  Log(o, "kept a copy of " + (files.empty() ? std::string("(no state files) ") : files) + "of '" +
             node.name + "' in '" + kept + "'");
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
                                                   .args = {node.data_dir}})
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
  const platform::Instance started = AfterStart(platform, cluster, node);
  HS_TRY(PollUntil("'" + node.name + "' to be Synced", o.heal_timeout,
                   [&] { return Synced(cluster, started); }));
  Log(o, "'" + node.name + "' joined and is Synced");
  return core::Status::Ok();
}

core::Status HealNode(platform::Platform& platform, const platform::Cluster& cluster,
                      const platform::Instance& target, const HealOptions& o) {
  HS_TRY(StopIfRunning(platform, cluster, target, o));
  core::Status reset = KeepState(platform, cluster, target, o);
  if (reset.ok()) {
    reset = RunScript(platform, cluster, target,
                      {.what = "reset galera state",
                       .text = "rm -f -- \"$1/grastate.dat\"",
                       .args = {target.data_dir}})
                .status();
  }
  if (!reset.ok())
    return LeftStopped(platform, cluster, target, std::move(reset), true);
  Log(o, "removed grastate.dat of '" + target.name + "': it rejoins by state transfer");
  return RejoinNode(platform, cluster, target, o);
}

core::Status BootstrapNode(platform::Platform& platform, const platform::Cluster& cluster,
                           const platform::Instance& node, const GaleraPosition& position,
                           const HealOptions& o) {
  if (!position.valid()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "refusing to bootstrap '" + node.name + "' from an empty position",
                        "its committed position must be read first");
  }
  HS_TRY(StopIfRunning(platform, cluster, node, o));
  HS_TRY(KeepState(platform, cluster, node, o));
  std::string grastate = "# GALERA saved state\nversion: 2.1\nuuid:    " + position.uuid +
                         "\nseqno:   " + std::to_string(position.seqno) +
                         "\nsafe_to_bootstrap: 1\n";
  HS_TRY(RunScript(platform, cluster, node,
                   {.what = "write grastate.dat",
                    .text = "cat > \"$1/grastate.dat.hasteward\" && mv "
                            "\"$1/grastate.dat.hasteward\" \"$1/grastate.dat\"",
                    .args = {node.data_dir},
                    .input = grastate})
             .status());
  Log(o, "set safe_to_bootstrap: 1 and position " + position.uuid + ":" +
             std::to_string(position.seqno) + " in grastate.dat of '" + node.name + "' only");
  // Bounded and re-read after the start as in RejoinNode.
  auto handle = platform.OpenInstance(cluster, node);
  core::Status started = handle.ok() ? (*handle)->StartNewCluster(o.heal_timeout) : handle.status();
  started.Wrap("bootstrap '" + node.name + "'");
  if (started.ok()) {
    const platform::Instance now = AfterStart(platform, cluster, node);
    started = PollUntil("'" + node.name + "' to form a Primary component", o.heal_timeout,
                        [&] { return Synced(cluster, now); });
  }
  if (!started.ok())
    return UndoBootstrap(platform, cluster, node, o, std::move(started));
  Log(o, "'" + node.name + "' bootstrapped a new Primary component with --wsrep-new-cluster");
  return core::Status::Ok();
}

}  // namespace hasteward::engine::galera
