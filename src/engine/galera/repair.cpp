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

}  // namespace

core::Status RejoinNode(platform::Platform& platform, const platform::Cluster& cluster,
                        const platform::Instance& node, const HealOptions& o) {
  HS_TRY(platform.StartInstance(cluster, node).Wrap("start '" + node.name + "' (join)"));
  HS_TRY(PollUntil("'" + node.name + "' to be Synced", o.heal_timeout,
                   [&] { return Synced(cluster, node); }));
  Log(o, "'" + node.name + "' joined and is Synced");
  return core::Status::Ok();
}

core::Status HealNode(platform::Platform& platform, const platform::Cluster& cluster,
                      const platform::Instance& target, const HealOptions& o) {
  HS_TRY(StopIfRunning(platform, cluster, target, o));
  HS_TRY(KeepState(platform, cluster, target, o));
  HS_TRY(RunScript(platform, cluster, target,
                   {.what = "reset galera state",
                    .text = "rm -f -- \"$1/grastate.dat\"",
                    .args = {target.data_dir}})
             .status());
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
  core::Status started =
      platform.BootstrapInstance(cluster, node).Wrap("bootstrap '" + node.name + "'");
  if (started.ok()) {
    started = PollUntil("'" + node.name + "' to form a Primary component", o.heal_timeout,
                        [&] { return Synced(cluster, node); });
  }
  if (!started.ok())
    return UndoBootstrap(platform, cluster, node, o, std::move(started));
  Log(o, "'" + node.name + "' bootstrapped a new Primary component with --wsrep-new-cluster");
  return core::Status::Ok();
}

}  // namespace hasteward::engine::galera
