// `hasteward wal-push %p` (PostgreSQL's archive_command) and `hasteward wal-fetch %f %p`
// (restore_command). The server runs them as its OS user with the flags `archive enable` wrote:
// -e/-c/-n name the cluster (no inventory is read), -r and --password-file the repository.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/repo_access.h"
#include "cli/wal_identity.h"
#include "core/log.h"
#include "core/os_user.h"
#include "core/process_memory.h"
#include "core/stop_signal.h"
#include "pitr/wal/wal_agent.h"
#include "pitr/wal/wal_archive.h"
#include "repo/cache/cached_backend.h"
#include "repo/crypto/crypto.h"

namespace hasteward::cli {

namespace {

struct WalFlags {
  std::string path;         // wal-push: %p
  std::string name;         // wal-fetch: %f
  std::string destination;  // wal-fetch: %p
  size_t batch = 64;
  size_t prefetch = 8;
  std::string agent_socket;  // wal-push, wal-fetch: try this agent first; wal-agent: listen here
  std::string client_user = "postgres";  // wal-agent: the server's OS user
  int agent_timeout_seconds = 120;  // wal-push, wal-fetch: how long to wait for the agent's answer
  std::string cache_dir;            // "" = $XDG_CACHE_HOME/hasteward, ~/.cache/hasteward
  bool no_cache = false;
};

// The repository cache's directory for this repository ("" = none): one per location, so that
// repositories do not drop each other's files when they list theirs.
std::string CacheDirFor(const WalFlags& f, const std::string& location) {
  if (f.no_cache)
    return "";
  std::string base = f.cache_dir;
  if (base.empty()) {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
      base = std::string(xdg) + "/hasteward";
    } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
      base = std::string(home) + "/.cache/hasteward";
    } else {
      return "";
    }
  }
  const std::string key = repo::IdToHex(repo::Sha256(
      core::ByteView(reinterpret_cast<const uint8_t*>(location.data()), location.size())));
  return base + "/" + key.substr(0, 16);
}

// The server runs wal-push and wal-fetch once per file, each opening the repository: its index,
// snapshot and tree files come from a local cache (repo/cache/cached_backend.h) after the first
// call, so a call on remote storage costs a listing instead of one round trip per file.
// `retry_bound`: how long a storage call retries at most (unset: the default, minutes).
core::Result<std::unique_ptr<repo::Repository>> OpenCachedRepository(
    const GlobalOptions& g, const WalFlags& f,
    std::optional<std::chrono::milliseconds> retry_bound = std::nullopt) {
  HS_ASSIGN_OR_RETURN(std::string location, g.Repository());
  HS_ASSIGN_OR_RETURN(std::string password, g.Password());
  storage::OpenOptions open_options = BackendOptions(g);
  if (retry_bound) {
    open_options.retry_options.max_total = *retry_bound;
  }
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(location, open_options));
  if (std::string dir = CacheDirFor(f, location); !dir.empty()) {
    backend = std::make_unique<repo::CachedBackend>(std::move(backend), dir);
  }
  return repo::Repository::Open(std::move(backend), password);
}

core::Status RunWalPush(const GlobalOptions& g, const WalFlags& f) {
  HS_TRY(RefuseDryRun(g, "wal-push", "the server runs it to archive a file",
                      "run 'hasteward pitr status' to see what is archived"));
  HS_ASSIGN_OR_RETURN(WalIdentity id, OpenWalIdentity(g));
  const size_t batch_limit = std::max<size_t>(f.batch, 1);
  if (!f.agent_socket.empty()) {
    HS_ASSIGN_OR_RETURN(
        std::optional<pitr::WalPushResult> through_agent,
        pitr::PushWalThroughAgent(f.agent_socket, *id.archiving, f.path, batch_limit,
                                  std::chrono::seconds(f.agent_timeout_seconds)));
    if (through_agent) {
      core::LogDebug("archived through the agent",
                     {{"stored", std::to_string(through_agent->stored)}});
      return core::Status::Ok();
    }
  }
  HS_ASSIGN_OR_RETURN(auto repo, OpenCachedRepository(g, f));
  pitr::WalPushOptions options;
  options.batch_limit = batch_limit;
  HS_ASSIGN_OR_RETURN(pitr::WalPushResult pushed,
                      pitr::PushWal(*repo, id.cluster, *id.archiving, f.path, options));
  if (pushed.already_archived) {
    core::LogInfo("'" + f.path + "' was archived before with the same content");
  }
  return core::Status::Ok();
}

// With --json, one line per answered request (what `serve` counts for its agent metrics):
// {"file","ok","stored","already_archived"} or {"file","ok":false,"error"}. Flushed at once: the
// reader is a pipe.
void PrintAgentAnswer(const std::string& file, const core::Result<pitr::WalPushResult>& answered) {
  nlohmann::json line = {{"file", file}, {"ok", answered.ok()}};
  if (answered.ok()) {
    line["stored"] = answered->stored;
    line["already_archived"] = answered->already_archived;
  } else {
    line["error"] = answered.status().message();
  }
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

core::Status RunWalAgent(const GlobalOptions& g, const WalFlags& f) {
  HS_TRY(RefuseDryRun(g, "wal-agent", "it archives what the server hands it",
                      "run 'hasteward pitr status' to see what is archived"));
  HS_ASSIGN_OR_RETURN(WalIdentity id, OpenWalIdentity(g));
  HS_ASSIGN_OR_RETURN(core::OsUser client, core::LookupOsUser(f.client_user));
  HS_ASSIGN_OR_RETURN(auto repo, OpenCachedRepository(g, f));
  core::InstallStopSignalHandlers();
  // It serves one segment after another for hours: each request's buffers reuse the last one's.
  core::KeepFreedHeapMemoryForReuse();
  pitr::WalAgentOptions options;
  options.socket_path = f.agent_socket;
  options.client_uid = client.uid;
  options.client_gid = client.gid;
  options.push.batch_limit = std::max<size_t>(f.batch, 1);
  options.stop_requested = [] {
    return core::StopSignal() != 0;
  };
  if (g.json) {
    options.on_answer = PrintAgentAnswer;
  }
  HS_ASSIGN_OR_RETURN(pitr::WalAgentCounters counters,
                      pitr::RunWalAgent(*repo, id.cluster, *id.archiving, options));
  core::LogInfo("archive agent stopped",
                {{"requests", std::to_string(counters.requests)},
                 {"stored_files", std::to_string(counters.stored_files)},
                 {"refused", std::to_string(counters.refused)},
                 {"fetched", std::to_string(counters.fetched)},
                 {"fetched_from_prefetch", std::to_string(counters.fetched_from_prefetch)},
                 {"fetched_from_ahead", std::to_string(counters.fetched_from_ahead)}});
  return core::Status::Ok();
}

// Above 125: PostgreSQL stops recovery rather than reading it as "not archived".
constexpr int kWalFetchFailedExitCode = 126;
// A standby asks again within seconds (wal_retrieve_retry_interval) and cannot stream while its
// restore_command runs, so a fetch for it gives up on an unreachable repository this soon.
constexpr std::chrono::seconds kStandbyFetchRetryBound{10};

struct WalFetchRun {
  core::Status status;
  bool server_stands_by = false;  // the failure then costs a later retry, not recovery
};

core::Status FetchFile(const GlobalOptions& g, const WalFlags& f, const WalIdentity& id,
                       bool server_stands_by) {
  if (!f.agent_socket.empty()) {
    // kNotFound (exit 20) only when the agent answered "not archived"; nullopt: fetch alone.
    pitr::AgentFetchOptions through;
    through.timeout = std::chrono::seconds(f.agent_timeout_seconds);
    // The agent fills files for the next segments as the prefetch directory held them.
    through.archiving = id.archiving;
    through.ahead = f.prefetch;
    HS_ASSIGN_OR_RETURN(
        std::optional<pitr::WalFetchResult> through_agent,
        pitr::FetchWalThroughAgent(f.agent_socket, id.cluster, f.name, f.destination, through));
    if (through_agent) {
      core::LogDebug("fetched '" + f.name + "' through the agent",
                     {{"from_prefetch", through_agent->from_prefetch ? "yes" : "no"},
                      {"from_ahead", through_agent->from_ahead ? "yes" : "no"}});
      return core::Status::Ok();
    }
  }
  pitr::WalFetchOptions options;
  options.prefetch = f.prefetch;
  std::optional<std::chrono::milliseconds> retry_bound;
  if (server_stands_by) {
    retry_bound = kStandbyFetchRetryBound;
  }
  auto opener = [&g, &f, retry_bound]() {
    return OpenCachedRepository(g, f, retry_bound);
  };
  HS_ASSIGN_OR_RETURN(
      pitr::WalFetchResult fetched,
      pitr::FetchWal(opener, id.cluster, *id.archiving, f.name, f.destination, options));
  core::LogDebug("fetched '" + f.name + "'",
                 {{"prefetched", std::to_string(fetched.prefetched)},
                  {"from_prefetch", fetched.from_prefetch ? "yes" : "no"}});
  return core::Status::Ok();
}

WalFetchRun RunWalFetch(const GlobalOptions& g, const WalFlags& f) {
  WalFetchRun run;
  run.status = RefuseDryRun(g, "wal-fetch", "the server runs it during recovery",
                            "run 'hasteward pitr status' to see what is archived");
  if (!run.status.ok())
    return run;
  auto id = OpenWalIdentity(g);
  if (!id.ok()) {
    run.status = id.TakeStatus();
    return run;
  }
  run.server_stands_by = id->archiving->FetchingServerStandsBy();
  run.status = FetchFile(g, f, *id, run.server_stands_by);
  if (!run.status.ok() && run.status.code() != core::ErrorCode::kNotFound && run.server_stands_by) {
    // Exiting 126 here shut the standby down: a switchover found its candidate gone when the
    // fetch failed as the old primary stopped.
    core::LogWarn("fetching '" + f.name +
                  "' failed; the server stands by, so it streams or asks again later: " +
                  run.status.message());
  }
  return run;
}

}  // namespace

void RegisterWalCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<WalFlags>();
  auto* push = app.add_subcommand(
      "wal-push",
      "archive_command: store a WAL file (and the others the server has queued) durably; an "
      "archived file is never overwritten (same bytes: success, other bytes: error)");
  push->add_option("path", flags->path, "The file to archive (%p)")->required();
  push->add_option("--batch", flags->batch, "Files stored in one snapshot at most (default 64)");
  push->add_option("--agent-socket", flags->agent_socket,
                   "Hand the file to the 'hasteward wal-agent' listening here (archives alone "
                   "when none answers)");
  push->add_option("--agent-timeout", flags->agent_timeout_seconds,
                   "Seconds to wait for the agent's answer before archiving alone (default 120)");
  push->callback([&g, &out, flags] { out.status = RunWalPush(g, *flags); });

  auto* agent = app.add_subcommand(
      "wal-agent",
      "Keep the repository open and archive the WAL files wal-push hands over a local socket "
      "(open descriptors, never paths), so each archive_command call skips opening the "
      "repository; stops on SIGTERM/SIGINT");
  agent->add_option("--socket", flags->agent_socket, "The socket to listen on")->required();
  agent->add_option("--client-user", flags->client_user,
                    "The server's OS user, who owns the socket (default postgres)");
  agent->add_option("--batch", flags->batch, "Files stored in one snapshot at most (default 64)");
  agent->callback([&g, &out, flags] { out.status = RunWalAgent(g, *flags); });

  auto* fetch = app.add_subcommand(
      "wal-fetch",
      "restore_command: write an archived WAL file where the server asks (exit 20 when it is not "
      "archived, 126 when the fetch failed otherwise: recovery stops; a standby's failed fetch "
      "exits below 126 and is asked again) and prefetch the following segments");
  fetch->add_option("name", flags->name, "The archived file's name (%f)")->required();
  fetch->add_option("destination", flags->destination, "Where to write it (%p)")->required();
  fetch->add_option("--prefetch", flags->prefetch, "Segments fetched ahead (default 8)");
  // The last one counts: a restore appends its own fetch server's socket to the command it got.
  fetch
      ->add_option("--agent-socket", flags->agent_socket,
                   "Ask the agent listening here ('hasteward wal-agent', or a restore's fetch "
                   "server) first; fetches alone when none answers")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  fetch->add_option("--agent-timeout", flags->agent_timeout_seconds,
                    "Seconds to wait for the agent's answer before fetching alone (default 120)");
  fetch->callback([&g, &out, flags] {
    WalFetchRun run = RunWalFetch(g, *flags);
    out.status = run.status;
    // PostgreSQL ends recovery on an exit below 126 ("not archived") and stops it on 126 and
    // above: a fetch that failed for any other reason must not pass for the end of the archive.
    // A standby never ends recovery on an answer, and stopping it would take a replica away.
    if (!out.status.ok() && out.status.code() != core::ErrorCode::kNotFound &&
        !run.server_stands_by)
      out.failure_exit_code = kWalFetchFailedExitCode;
  });

  for (auto* command : {push, agent, fetch}) {
    command->add_option("--cache-dir", flags->cache_dir,
                        "Local cache of the repository's index, snapshot and tree files "
                        "(default $XDG_CACHE_HOME/hasteward or ~/.cache/hasteward)");
    command->add_flag("--no-cache", flags->no_cache, "Read everything from the repository");
  }
}

}  // namespace hasteward::cli
