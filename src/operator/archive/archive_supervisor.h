// operator/archive/archive_supervisor: the continuous archives `serve` keeps for clusters with
// `pitr` on.
// - MariaDB/Galera (the engine has binlog archiving): one long-running `hasteward archive binlog
//   --follow --json` child per cluster, into the cluster's first repository. It is started again
//   with exponential backoff whenever it ends (an error it does not wait out, a crash), and stopped
//   with SIGTERM (between cycles) when the cluster leaves the managed set or serve stops acting.
//   Its per-cycle lines feed the lag metrics (archive_progress.h).
// - PostgreSQL: the server archives through its archive_command (`archive enable`). serve runs the
//   WAL agent (`hasteward wal-agent`, pitr/wal/wal_agent.h) as a child supervised like the binlog
//   archiver, listening on WalAgentSocket(): a wal-push whose archive_command names that socket
//   (`archive enable --agent-socket`) hands its file to the agent, which keeps the repository
//   open; with the agent away wal-push archives alone, so the agent only saves time. serve also
//   reads the server's archiver state (pg_stat_archiver, the .ready queue) every 5 s for the lag
//   and whether archiving through hasteward is on (a warning when it is not: serve never changes
//   server settings).
// - PostgreSQL with pitrSync: the synchronous WAL receiver (`hasteward wal-receive --json`,
//   pitr/wal/wal_receiver.h), a child supervised the same way; its lines feed the receiver's
//   metrics (durable position, synchronous or fallen back, fallbacks).
// - Every pitr cluster: `pitr status --json` at the configured interval for the window and gaps
//   (it reads every archived piece, so never per scrape).
// Children, not threads of serve: a stopped or killed archiver never presents anything as archived
// before its snapshot is committed, and a crash of one cannot take serve down.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "operator/archive/archive_progress.h"
#include "operator/config.h"
#include "operator/runtime/child_job.h"
#include "platform/registry.h"

namespace hasteward::op {

struct ArchiveSupervisorOptions {
  std::string self_exe;  // this binary
  platform::PlatformOptions platform;
  std::string log_format = "text";
  std::chrono::milliseconds status_refresh{std::chrono::seconds(300)};
  std::chrono::milliseconds min_backoff{std::chrono::seconds(1)};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(60)};
  // A child that ran this long before it ended starts again after min_backoff.
  std::chrono::milliseconds healthy_run{std::chrono::seconds(60)};
  // Where PostgreSQL clusters' WAL agents listen (WalAgentSocket); "" = serve runs no agent.
  std::string wal_agent_dir;
  // The OS user allowed to hand files to the agents (the socket's owner); "" = the cluster's
  // server OS user from the platform (its instances' os_user, else serve's own user).
  std::string wal_agent_client_user;
};

// The socket serve's WAL agent for cluster `ns`/`name` listens on: `<dir>/<ns>.<name>.sock`.
std::string WalAgentSocket(const std::string& dir, const std::string& ns, const std::string& name);

// Thread-safe. Destruction stops every archiver.
class ArchiveSupervisor {
 public:
  explicit ArchiveSupervisor(ArchiveSupervisorOptions options);
  ~ArchiveSupervisor();
  ArchiveSupervisor(const ArchiveSupervisor&) = delete;
  ArchiveSupervisor& operator=(const ArchiveSupervisor&) = delete;

  // Keeps exactly the archives of `clusters` with pitr on and a known engine (`engines`: cluster
  // key -> engine name): starts the missing ones, stops those that left or changed repository.
  void Reconcile(const std::vector<ManagedCluster>& clusters,
                 const std::map<std::string, std::string>& engines);
  // Stops every archiver and waits for the children to end. Idempotent.
  void StopAll();
  // A copy of every kept archive's progress, by cluster key.
  std::vector<ArchiveProgress> Progress() const;

 private:
  struct Archive;
  struct ChildKind;
  // Runs the child of `kind` again and again (with backoff) until the archive stops.
  void Supervise(Archive& archive, const ChildKind& kind) const;
  // One run: started, its stdout lines applied to the progress, stopped with SIGTERM on stop.
  void RunOnce(Archive& archive, const ChildKind& kind) const;
  core::Result<ChildCommand> AgentCommand(const Archive& archive) const;
  // The threads of one cluster's archive: its archiver or server watch, agent, receiver and
  // window refresh (called under mu_).
  std::unique_ptr<Archive> StartArchive(const ManagedCluster& cluster, const std::string& engine);
  ChildKind BinlogArchiverKind() const;
  ChildKind WalAgentKind() const;
  ChildKind WalReceiverKind() const;
  ChildKind BinlogReceiverKind() const;
  void RefreshWindow(Archive& archive) const;
  void WatchServer(Archive& archive) const;

  ArchiveSupervisorOptions options_;
  mutable std::mutex mu_;  // guards archives_ (each Archive guards its own progress)
  std::map<std::string, std::unique_ptr<Archive>> archives_;
};

}  // namespace hasteward::op
