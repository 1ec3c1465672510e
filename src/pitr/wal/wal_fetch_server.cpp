#include "pitr/wal/wal_fetch_server.h"

#include <sys/stat.h>

#include "core/log.h"
#include "pitr/pitr.h"

namespace hasteward::pitr {

core::Result<std::unique_ptr<FetchServer>> FetchServer::Start(
    repo::Repository& repo, const platform::Cluster& cluster, const engine::Archiving& archiving,
    std::optional<catalog::WalCatalog> catalog, const FetchServerOptions& options) {
  // Named by this process's pid: a restore killed with -9 leaves its directory, and the next one
  // removes those of dead processes (their servers' wal-fetch then finds no socket and works
  // alone).
  HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::CreateOwned("hasteward-wal-fetch-"));
  // The server's OS user must enter it to reach the socket; listing it is nobody's business.
  if (::chmod(dir.path().c_str(), 0711) != 0) {
    return core::ErrnoStatus("chmod '" + dir.path() + "'", errno);
  }
  HS_ASSIGN_OR_RETURN(core::UnixListener listener,
                      core::UnixListener::Bind(dir.path() + "/wal-fetch.sock", 0600,
                                               options.client_uid, options.client_gid));
  return std::unique_ptr<FetchServer>(new FetchServer(Place{std::move(dir), std::move(listener)},
                                                      repo, cluster, archiving, std::move(catalog),
                                                      options));
}

FetchServer::FetchServer(Place place, repo::Repository& repo, const platform::Cluster& cluster,
                         const engine::Archiving& archiving,
                         std::optional<catalog::WalCatalog> catalog,
                         const FetchServerOptions& options)
    : dir_(std::move(place.dir)),
      listener_(std::move(place.listener)),
      repo_(repo),
      archiving_(archiving),
      service_(repo, cluster, archiving, options.prefetch, std::move(catalog)) {
  agent_options_.client_uid = options.client_uid;
  agent_options_.client_gid = options.client_gid;
  agent_options_.accept_pushes = false;
  agent_options_.stop_requested = [this] {
    return stop_.load();
  };
  thread_ = std::thread([this] {
    auto served = ServeWalAgent(listener_, repo_, service_, archiving_, agent_options_);
    if (served.ok()) {
      counters_ = *served;
    } else {
      core::LogWarn("the restore's WAL fetch server stopped: " + served.status().ToString());
    }
  });
}

FetchServer::~FetchServer() {
  Stop();
}

WalAgentCounters FetchServer::Stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  return counters_;
}

std::string FetchServer::RestoreCommand(const std::string& restore_command) const {
  // The server expands %p/%f and turns %% into %: a '%' in the path must stay itself.
  std::string flag = " --agent-socket " + ShellQuote(socket_path());
  std::string escaped;
  for (char c : flag) {
    escaped += c;
    if (c == '%') {
      escaped += '%';
    }
  }
  return restore_command + escaped;
}

}  // namespace hasteward::pitr
