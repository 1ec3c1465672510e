// pitr/wal/wal_agent: a long-lived archiver for one PostgreSQL cluster. `hasteward wal-push`, run
// by the server once per WAL file, pays for opening the repository each time (scrypt key derivation
// and the index: most of a call, docs/performance.md). The agent opens it once and wal-push hands
// it the file as an open descriptor over a local socket (SCM_RIGHTS), so the agent reads only
// what the server's OS user could read and never trusts a path. wal-push still returns 0 only
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
#include "engine/archiving.h"
#include "pitr/wal/wal_archive.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::pitr {

struct WalAgentOptions {
  std::string socket_path;
  // The server's OS user: the socket file is theirs (mode 0600) and only they (or root, or the
  // agent's own user) may hand over files.
  uid_t client_uid = 0;
  gid_t client_gid = 0;
  WalPushOptions push;
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
};

// Serves wal-push requests one at a time (the server archives in order) until stop_requested.
// A request's failure is answered to its client and the agent goes on. The answer "stored" is
// sent only after the file's snapshot is committed (or the same bytes were archived before).
core::Result<WalAgentCounters> RunWalAgent(repo::Repository& repo, const platform::Cluster& cluster,
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

}  // namespace hasteward::pitr
