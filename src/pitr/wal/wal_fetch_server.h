// pitr/wal/wal_fetch_server: the archive agent's fetch service inside a point-in-time restore (or
// a DR activation). The restore has the repository open already; for as long as this object lives
// it serves the server's wal-fetch calls on a private socket and reads ahead of the replay, so no
// call opens the repository again (the scrypt key derivation, index and catalog per segment that
// made replay the slowest part of an activation, docs/standby.md).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <sys/types.h>

#include "core/status.h"
#include "core/temp_dir.h"
#include "core/unix_socket.h"
#include "pitr/wal/wal_agent.h"
#include "pitr/wal/wal_fetch_service.h"

namespace hasteward::pitr {

struct FetchServerOptions {
  // The server's OS user: the socket is theirs (mode 0600) in a directory others may only enter.
  uid_t client_uid = 0;
  gid_t client_gid = 0;
  WalPrefetchOptions prefetch;
};

// Owns its directory, socket and serving thread; the destructor stops and joins it and removes
// both. The repository (index loaded) and archiving must outlive it.
class FetchServer {
 public:
  // Listens at once (errors: the directory or socket could not be made) and serves `cluster`'s
  // archive; `catalog`, when given, is the archive as the caller just read it.
  static core::Result<std::unique_ptr<FetchServer>> Start(
      repo::Repository& repo, const platform::Cluster& cluster, const engine::Archiving& archiving,
      std::optional<catalog::WalCatalog> catalog, const FetchServerOptions& options);
  ~FetchServer();
  FetchServer(const FetchServer&) = delete;
  FetchServer& operator=(const FetchServer&) = delete;

  const std::string& socket_path() const { return listener_.path(); }
  // `restore_command` (wal-fetch "%f" "%p" ...) asking this server first; a call finding no server
  // (this process gone) fetches alone.
  std::string RestoreCommand(const std::string& restore_command) const;
  // Stops serving (idempotent) and returns what was served.
  WalAgentCounters Stop();
  // The read-ahead (thread-safe; tests look into it).
  WalPrefetch& prefetch() { return service_.prefetch(); }

 private:
  // Where it listens: the directory and the socket bound in it.
  struct Place {
    core::TempDir dir;
    core::UnixListener listener;
  };
  FetchServer(Place place, repo::Repository& repo, const platform::Cluster& cluster,
              const engine::Archiving& archiving, std::optional<catalog::WalCatalog> catalog,
              const FetchServerOptions& options);

  core::TempDir dir_;
  core::UnixListener listener_;
  repo::Repository& repo_;
  const engine::Archiving& archiving_;
  WalFetchService service_;
  WalAgentOptions agent_options_;
  std::atomic<bool> stop_{false};
  WalAgentCounters counters_;  // written by the thread, read after join
  std::thread thread_;
};

}  // namespace hasteward::pitr
