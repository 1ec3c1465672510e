// pitr/wal/wal_agent: a long-lived archiver for one PostgreSQL cluster. `hasteward wal-push`, run
// by the server once per WAL file, pays for opening the repository each time (scrypt key derivation
// and the index: most of a call, docs/performance.md). The agent opens it once and wal-push hands
// it the file as an open descriptor over a local socket (SCM_RIGHTS), so the agent reads only
// what the server's OS user could read and never trusts a path. wal-fetch likewise hands it the
// destination's temp file to fill (wal_agent_fetch.cpp), and the agent reads ahead of the
// replay (wal_fetch_service.h). wal-push still returns 0 only
// once the agent answers that the file is durable; with no agent listening, or an agent that
// dies mid-request, wal-push archives the file itself (archiving is idempotent: same bytes are
// success), so the agent is a speed-up and never a new way to lose WAL.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <sys/types.h>

#include "core/status.h"
#include "core/unix_socket.h"
#include "engine/archiving.h"
#include "pitr/wal/wal_archive.h"
#include "pitr/wal/wal_fetch_service.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::pitr {

// The version of the agent's socket protocol (push and fetch requests and their answers): a peer
// that speaks another is refused, and the caller does the work itself.
inline constexpr int kWalAgentProtocolVersion = 1;

struct WalAgentOptions {
  std::string socket_path;
  // The server's OS user: the socket file is theirs (mode 0600) and only they (or root, or the
  // agent's own user) may hand over files.
  uid_t client_uid = 0;
  gid_t client_gid = 0;
  WalPushOptions push;
  // False: push requests are refused (a restore's fetch server serves its replay only).
  bool accept_pushes = true;
  WalPrefetchOptions prefetch;  // for wal-fetch requests
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // Polled between requests; the agent returns Ok once it is true.
  std::function<bool()> stop_requested;
  // Called (on the agent's thread) after each request was answered, with the requested file's
  // name ("" for a request that named none) and what was answered. `serve` counts these.
  std::function<void(const std::string& file, const core::Result<WalPushResult>& answered)>
      on_answer;
};

struct WalAgentCounters {
  size_t requests = 0;
  size_t stored_files = 0;
  size_t refused = 0;  // answered with an error (e.g. other bytes under an archived name)
  size_t fetched = 0;  // wal-fetch requests answered with the file
  size_t fetched_from_prefetch = 0;  // of those, read ahead before the server asked
  size_t fetched_from_ahead = 0;     // of those, already in the server's fill-ahead file
};

// Serves wal-push requests one at a time (the server archives in order) until stop_requested.
// A request's failure is answered to its client and the agent goes on. The answer "stored" is
// sent only after the file's snapshot is committed (or the same bytes were archived before).
// wal-fetch requests are answered in the same loop (the file, "not archived", or an error).
core::Result<WalAgentCounters> RunWalAgent(repo::Repository& repo, const platform::Cluster& cluster,
                                           const engine::Archiving& archiving,
                                           const WalAgentOptions& options);

// RunWalAgent on a socket already bound (options.socket_path is not used), serving fetches
// through `fetches` (whose cluster is the agent's).
core::Result<WalAgentCounters> ServeWalAgent(core::UnixListener& listener, repo::Repository& repo,
                                             WalFetchService& fetches,
                                             const engine::Archiving& archiving,
                                             const WalAgentOptions& options);

// wal-push's side: hands `path` (and up to batch_limit-1 files the server queued) to the agent at
// `socket_path`. nullopt when no agent could be reached or it did not answer (the caller then
// archives alone); the agent's error when it refused the file.
core::Result<std::optional<WalPushResult>> PushWalThroughAgent(const std::string& socket_path,
                                                               const engine::Archiving& archiving,
                                                               const std::string& path,
                                                               size_t batch_limit,
                                                               std::chrono::milliseconds timeout);

// wal-fetch's side: asks the agent at `socket_path` to write the archived `name` of `cluster` into
// a temp file beside `destination`, checks that the agent's answer covers the whole file, and
// moves it into place (core::AtomicFileSink: %p only ever appears complete). kNotFound only when
// the agent answered "not archived"; nullopt when no agent answered, it failed, or its bytes did
// not check out (the caller then fetches alone: an agent's failure is never "not archived").
core::Result<std::optional<WalFetchResult>> FetchWalThroughAgent(const std::string& socket_path,
                                                                 const platform::Cluster& cluster,
                                                                 const std::string& name,
                                                                 const std::string& destination,
                                                                 std::chrono::milliseconds timeout);

struct AgentFetchOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  // With both: a segment request also hands the agent fill-ahead files for the next `ahead`
  // segments in the server's prefetch directory (wal_ahead_dir.h), and a later call whose file the
  // agent confirms complete only renames it to %p. The archiving must outlive the call.
  const engine::Archiving* archiving = nullptr;
  size_t ahead = 0;
};

// As above, with fill-ahead files. A fill-ahead file is renamed to %p only after the agent
// answered that it wrote it whole (size checked here too); any other file is discarded or
// written again, so the answers are exactly the ones above.
core::Result<std::optional<WalFetchResult>> FetchWalThroughAgent(const std::string& socket_path,
                                                                 const platform::Cluster& cluster,
                                                                 const std::string& name,
                                                                 const std::string& destination,
                                                                 const AgentFetchOptions& options);

}  // namespace hasteward::pitr
