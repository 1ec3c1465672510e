#include "operator/archive/archive_supervisor.h"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <functional>
#include <optional>

#include <poll.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/os_user.h"
#include "core/subprocess.h"
#include "engine/client_tools.h"
#include "engine/cluster_handle.h"
#include "engine/engine.h"
#include "operator/runtime/child_job.h"
#include "pitr/archive.h"

namespace hasteward::op {

namespace {

// How long an archiver may take to finish its cycle after SIGTERM before it is killed. A killed
// one commits nothing: what it read is archived again by the next archiver.
constexpr std::chrono::seconds kStopGrace{10};
constexpr std::chrono::milliseconds kSlice{100};
// How often a PostgreSQL server's archiver state is read (one query at the primary).
constexpr std::chrono::seconds kServerArchiverInterval{5};

// Whether serve runs an archiver for the engine (its archive is pulled: binlogs), or the server
// archives by itself (PostgreSQL's archive_command). Asked of the engine's archive
// (pitr::MakeArchive is the only switch on the kind).
bool RunsBinlogArchiver(const std::string& engine_name) {
  auto kind = platform::ParseEngineKind(engine_name);
  if (!kind.ok())
    return false;
  auto made = engine::MakeEngine(*kind);
  if (!made.ok())
    return false;
  auto archive = pitr::MakeArchive(**made);
  return archive.ok() && (*archive)->feed() == pitr::ArchiveFeed::kArchiverPulls;
}

// What restarts an archive: another engine or another repository.
std::string Fingerprint(const ManagedCluster& cluster, const std::string& engine) {
  const RepositorySpec& repo = cluster.repositories.front();
  return engine + "|" + repo.name + "|" + repo.location + "|" + repo.password_file + "|" +
         (cluster.pitr_sync ? "sync" : "");
}

// The window `pitr status --json` printed, or why there is none.
core::Result<PitrWindowSummary> WindowOf(const core::Result<ChildOutcome>& outcome) {
  if (!outcome.ok())
    return outcome.status();
  if (!outcome->status.ok()) {
    return core::Status(core::ErrorCode::kInternal,
                        "pitr status " + outcome->status.Describe() + ": " + outcome->err_tail,
                        "run 'hasteward pitr status' for the cluster by hand");
  }
  return SummarizePitrStatus(outcome->out);
}

}  // namespace

struct ArchiveSupervisor::Archive {
  ManagedCluster cluster;
  bool binlogs = false;
  std::string fingerprint;
  std::atomic<bool> stop{false};
  mutable std::mutex mu;  // guards progress
  ArchiveProgress progress;
  std::thread archiver;
  std::thread agent;
  std::thread receiver;
  std::thread status;

  void Update(const std::function<void(ArchiveProgress&)>& change) {
    std::lock_guard<std::mutex> l(mu);
    change(progress);
  }
  // Sleeps `how_long` unless stopped first.
  void Pause(std::chrono::milliseconds how_long) const {
    for (auto waited = std::chrono::milliseconds(0); waited < how_long && !stop; waited += kSlice)
      std::this_thread::sleep_for(kSlice);
  }
  void Stop() {
    stop = true;
    if (archiver.joinable())
      archiver.join();
    if (agent.joinable())
      agent.join();
    if (receiver.joinable())
      receiver.join();
    if (status.joinable())
      status.join();
  }
};

ArchiveSupervisor::ArchiveSupervisor(ArchiveSupervisorOptions options)
    : options_(std::move(options)) {}

ArchiveSupervisor::~ArchiveSupervisor() {
  StopAll();
}

// What one kind of supervised child is: how its command is made, what its lines mean, and which
// progress fields say it runs and how often it was restarted.
struct ArchiveSupervisor::ChildKind {
  const char* what;  // in log lines
  std::function<core::Result<ChildCommand>(const Archive&)> command;
  std::function<bool(const std::string& line, ArchiveProgress&)> apply_line;
  std::function<void(ArchiveProgress&, bool running)> set_running;
  std::function<void(ArchiveProgress&)> count_restart;
};

void ArchiveSupervisor::RunOnce(Archive& a, const ChildKind& kind) const {
  core::Result<ChildCommand> command = kind.command(a);
  if (!command.ok()) {
    core::LogError(std::string("start ") + kind.what,
                   {{"cluster", a.cluster.Key()}, {"error", command.status().ToString()}});
    return;
  }
  core::SubprocessOptions o;
  o.argv = command->argv;
  engine::ToolSecrets secrets;  // a password held in memory reaches the child as a memory file
  if (!command->password.empty()) {
    auto path = secrets.Add("repository-password", command->password);
    if (!path.ok()) {
      core::LogError(std::string("start ") + kind.what,
                     {{"cluster", a.cluster.Key()}, {"error", path.status().ToString()}});
      return;
    }
    o.argv.insert(o.argv.end(), {"--restic-password-file", *path});
    o.inherit_fds = secrets.fds();
  }
  o.env_set = command->env;
  o.stdout_mode = core::StdioMode::kPipe;
  o.stderr_mode = core::StdioMode::kPipe;
  // Dies with serve (PR_SET_PDEATHSIG): an archiver must not outlive the operator that owns it,
  // or it would keep archiving beside the next leader's. This thread outlives the child.
  o.helper = true;
  auto child = core::Subprocess::Start(o);
  if (!child.ok()) {
    core::LogError(std::string("start ") + kind.what,
                   {{"cluster", a.cluster.Key()}, {"error", child.status().message()}});
    return;
  }
  a.Update([&kind](ArchiveProgress& p) { kind.set_running(p, true); });
  std::string pending;
  char buf[4096];
  while (true) {
    if (a.stop) {
      (*child)->Signal(SIGTERM);
      if (!(*child)->WaitFor(kStopGrace))
        (*child)->Signal(SIGKILL);
      break;
    }
    pollfd ready{(*child)->stdout_fd(), POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(kSlice.count())) <= 0)
      continue;
    ssize_t n = ::read(ready.fd, buf, sizeof(buf));
    if (n <= 0)
      break;  // end of output: the child ended
    pending.append(buf, static_cast<size_t>(n));
    for (size_t end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
      const std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      a.Update([&](ArchiveProgress& p) { kind.apply_line(line, p); });
    }
  }
  const core::ExitStatus ended = (*child)->Wait();
  a.Update([&kind](ArchiveProgress& p) { kind.set_running(p, false); });
  if (!a.stop) {
    core::LogWarn(std::string(kind.what) + " ended; starting it again after a pause",
                  {{"cluster", a.cluster.Key()},
                   {"status", ended.Describe()},
                   {"stderr", (*child)->StderrTail()}});
  }
}

void ArchiveSupervisor::Supervise(Archive& a, const ChildKind& kind) const {
  auto backoff = options_.min_backoff;
  while (!a.stop) {
    const auto started = core::SystemClock::Get().Monotonic();
    RunOnce(a, kind);
    if (core::SystemClock::Get().Monotonic() - started >= options_.healthy_run)
      backoff = options_.min_backoff;
    a.Pause(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
    if (!a.stop)
      a.Update([&kind](ArchiveProgress& p) { kind.count_restart(p); });
  }
}

namespace {

// The OS user the cluster's server runs as: the one wal-push runs as, so the only one (besides
// root and serve's own) the agent takes files from.
core::Result<std::string> ServerOsUser(const platform::PlatformOptions& where,
                                       const ManagedCluster& managed) {
  HS_ASSIGN_OR_RETURN(auto platform, platform::OpenPlatform(where));
  HS_ASSIGN_OR_RETURN(platform::Cluster cluster, platform->FindCluster(managed.ns, managed.name));
  for (const auto& instance : cluster.instances) {
    if (!instance.os_user.empty())
      return instance.os_user;
  }
  return core::CurrentOsUser().name;
}

}  // namespace

core::Result<ChildCommand> ArchiveSupervisor::AgentCommand(const Archive& a) const {
  std::string client = options_.wal_agent_client_user;
  if (client.empty()) {
    HS_ASSIGN_OR_RETURN(client, ServerOsUser(options_.platform, a.cluster));
  }
  std::error_code error;
  // Searchable by the server's OS user; the socket itself is theirs alone (mode 0600).
  std::filesystem::create_directories(options_.wal_agent_dir, error);
  if (error) {
    return core::Status(core::ErrorCode::kUsage,
                        "cannot create the WAL agent directory '" + options_.wal_agent_dir +
                            "': " + error.message(),
                        "set walAgentDir in serve's config to a directory serve can create");
  }
  return MakeClusterChild(options_.self_exe,
                          {"wal-agent", "-e", a.progress.engine, "--socket",
                           WalAgentSocket(options_.wal_agent_dir, a.cluster.ns, a.cluster.name),
                           "--client-user", client},
                          a.cluster, a.cluster.repositories.front(), options_.platform,
                          options_.log_format);
}

ArchiveSupervisor::ChildKind ArchiveSupervisor::BinlogArchiverKind() const {
  return ChildKind{"archiver",
                   [this](const Archive& a) -> core::Result<ChildCommand> {
                     return MakeClusterChild(options_.self_exe,
                                             {"archive", "binlog", "--follow", "--interval", "1s"},
                                             a.cluster, a.cluster.repositories.front(),
                                             options_.platform, options_.log_format);
                   },
                   ApplyCycleLine, [](ArchiveProgress& p, bool running) { p.running = running; },
                   [](ArchiveProgress& p) {
                     ++p.restarts;
                   }};
}

ArchiveSupervisor::ChildKind ArchiveSupervisor::WalAgentKind() const {
  return ChildKind{"WAL agent", [this](const Archive& a) { return AgentCommand(a); },
                   ApplyAgentLine,
                   [](ArchiveProgress& p, bool running) { p.agent_running = running; },
                   [](ArchiveProgress& p) {
                     ++p.agent_restarts;
                   }};
}

ArchiveSupervisor::ChildKind ArchiveSupervisor::WalReceiverKind() const {
  return ChildKind{"WAL receiver",
                   [this](const Archive& a) -> core::Result<ChildCommand> {
                     return MakeClusterChild(options_.self_exe, {"wal-receive"}, a.cluster,
                                             a.cluster.repositories.front(), options_.platform,
                                             options_.log_format);
                   },
                   ApplyReceiverLine,
                   [](ArchiveProgress& p, bool running) { p.receiver_running = running; },
                   [](ArchiveProgress& p) {
                     ++p.receiver_restarts;
                   }};
}

// MariaDB's binlog receiver (pitrSync): the cluster's archiver, in place of `archive binlog
// --follow`. No watchdog: the writer bounds a commit's wait itself (rpl_semi_sync_master_timeout,
// the receiver's --fallback-after) and waits again once the receiver caught up.
ArchiveSupervisor::ChildKind ArchiveSupervisor::BinlogReceiverKind() const {
  return ChildKind{"binlog receiver",
                   [this](const Archive& a) -> core::Result<ChildCommand> {
                     return MakeClusterChild(options_.self_exe, {"archive", "binlog", "--sync"},
                                             a.cluster, a.cluster.repositories.front(),
                                             options_.platform, options_.log_format);
                   },
                   ApplyBinlogReceiverLine,
                   [](ArchiveProgress& p, bool running) {
                     p.running = running;
                     p.receiver_running = running;
                   },
                   [](ArchiveProgress& p) {
                     ++p.restarts;
                     ++p.receiver_restarts;
                   }};
}

std::string WalAgentSocket(const std::string& dir, const std::string& ns, const std::string& name) {
  return dir + "/" + ns + "." + name + ".sock";
}

// The PostgreSQL server's archiver state, read in-process (read-only, one query, like triage).
// A cluster's platform, engine handle and WAL archiving, opened afresh for one read: the platform
// may have changed since the last (a switchover, a new pod).
struct ArchivingTarget {
  std::unique_ptr<platform::Platform> platform;
  std::optional<engine::ClusterHandle> handle;
  engine::Archiving* archiving = nullptr;
};

core::Result<ArchivingTarget> OpenArchivingTarget(const platform::PlatformOptions& where,
                                                  const ManagedCluster& managed) {
  ArchivingTarget target;
  HS_ASSIGN_OR_RETURN(target.platform, platform::OpenPlatform(where));
  HS_ASSIGN_OR_RETURN(platform::Cluster cluster,
                      target.platform->FindCluster(managed.ns, managed.name));
  HS_ASSIGN_OR_RETURN(engine::ClusterHandle handle,
                      engine::ClusterHandle::Open(*target.platform, std::move(cluster)));
  target.handle.emplace(std::move(handle));
  target.archiving = target.handle->engine().archiving();
  if (target.archiving == nullptr)
    return engine::Unsupported(target.handle->engine(), "WAL archiving (point-in-time recovery)");
  return target;
}

core::Result<engine::ArchiverState> ReadServerArchiver(const platform::PlatformOptions& where,
                                                       const ManagedCluster& managed,
                                                       uint64_t* segment_bytes) {
  HS_ASSIGN_OR_RETURN(ArchivingTarget target, OpenArchivingTarget(where, managed));
  *segment_bytes = target.archiving->SegmentBytes();
  return target.archiving->ReadArchiverState(*target.platform, target.handle->cluster());
}

// How long a commit may wait for a pitrSync cluster's receiver before serve's watchdog lets the
// primary commit without it (the receiver's own --fallback-after default).
constexpr std::chrono::seconds kReceiverStallBound{10};

core::Result<bool> ReleaseStalledCommits(const platform::PlatformOptions& where,
                                         const ManagedCluster& managed) {
  HS_ASSIGN_OR_RETURN(ArchivingTarget target, OpenArchivingTarget(where, managed));
  return target.archiving->ReleaseStalledCommits(*target.platform, target.handle->cluster(),
                                                 kReceiverStallBound);
}

// serve's watchdog of a pitrSync cluster's receiver: the receiver falls back by itself when the
// repository refuses its stores, but one that is gone, hung or cut off from the primary cannot;
// commits that waited longer than kReceiverStallBound are released here (an alert). True when it
// released them.
bool WatchReceiver(const platform::PlatformOptions& where, const ManagedCluster& managed) {
  auto released = ReleaseStalledCommits(where, managed);
  if (!released.ok() || !*released)
    return false;
  core::LogError("ALERT: commits waited for the WAL receiver longer than " +
                     std::to_string(kReceiverStallBound.count()) +
                     " s: the primary now commits without it (recovery point no longer zero) "
                     "until the receiver caught up",
                 {{"cluster", managed.Key()}});
  return true;
}

void ArchiveSupervisor::WatchServer(Archive& a) const {
  bool warned = false;
  while (!a.stop) {
    if (a.cluster.pitr_sync && WatchReceiver(options_.platform, a.cluster)) {
      a.Update([](ArchiveProgress& p) {
        ++p.receiver_watchdog_releases;
        p.receiver_synchronous = false;
      });
    }
    uint64_t segment_bytes = 0;
    auto state = ReadServerArchiver(options_.platform, a.cluster, &segment_bytes);
    const double read_at =
        std::chrono::duration<double>(core::SystemClock::Get().Now().time_since_epoch()).count();
    if (state.ok() && !state->enabled && !warned) {
      // serve does not change server settings: the archive command names a password file the
      // server's OS user must read, which only the person enabling it can provide.
      core::LogWarn("pitr is on but the server does not archive through hasteward",
                    {{"cluster", a.cluster.Key()},
                     {"hint", "run 'hasteward archive enable -e cnpg -c " + a.cluster.name +
                                  " -n " + a.cluster.ns + " --password-file FILE'"}});
    }
    warned = state.ok() && !state->enabled;
    a.Update([&](ArchiveProgress& p) {
      if (state.ok()) {
        ApplyServerArchiver(*state, segment_bytes, read_at, p);
      } else {
        p.last_error = state.status().message();
      }
    });
    a.Pause(kServerArchiverInterval);
  }
}

void ArchiveSupervisor::RefreshWindow(Archive& a) const {
  while (!a.stop) {
    auto outcome = RunChild(
        MakeClusterChild(options_.self_exe, {"pitr", "status"}, a.cluster,
                         a.cluster.repositories.front(), options_.platform, options_.log_format),
        a.stop);
    if (a.stop)
      break;
    core::Result<PitrWindowSummary> summary = WindowOf(outcome);
    // A failed read (the repository is away) keeps the last window: it did not change meanwhile
    // except by growing.
    a.Update([&summary](ArchiveProgress& p) {
      p.window_error = summary.ok() ? "" : summary.status().message();
      if (summary.ok())
        p.window = *summary;
    });
    a.Pause(options_.status_refresh);
  }
}

void ArchiveSupervisor::Reconcile(const std::vector<ManagedCluster>& clusters,
                                  const std::map<std::string, std::string>& engines) {
  std::map<std::string, std::pair<const ManagedCluster*, std::string>> wanted;
  for (const auto& c : clusters) {
    auto engine = engines.find(c.Key());
    if (c.pitr && !c.repositories.empty() && engine != engines.end())
      wanted[c.Key()] = {&c, engine->second};
  }
  std::vector<std::unique_ptr<Archive>> leaving;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = archives_.begin(); it != archives_.end();) {
      auto want = wanted.find(it->first);
      const bool keep =
          want != wanted.end() &&
          Fingerprint(*want->second.first, want->second.second) == it->second->fingerprint;
      if (keep) {
        ++it;
        continue;
      }
      leaving.push_back(std::move(it->second));
      it = archives_.erase(it);
    }
  }
  // Stopped before a replacement starts: two archivers of one cluster never run at once here.
  for (auto& a : leaving) {
    core::LogInfo("archiving stopped", {{"cluster", a->cluster.Key()}});
    a->Stop();
  }
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [key, want] : wanted) {
    if (!archives_.count(key))
      archives_[key] = StartArchive(*want.first, want.second);
  }
}

std::unique_ptr<ArchiveSupervisor::Archive> ArchiveSupervisor::StartArchive(
    const ManagedCluster& cluster, const std::string& engine) {
  const std::string key = cluster.Key();
  auto a = std::make_unique<Archive>();
  a->cluster = cluster;
  a->binlogs = RunsBinlogArchiver(engine);
  a->fingerprint = Fingerprint(cluster, engine);
  a->progress.ns = a->cluster.ns;
  a->progress.name = a->cluster.name;
  a->progress.engine = engine;
  a->progress.archiver = a->binlogs;
  core::LogInfo("archiving started",
                {{"cluster", key},
                 {"repository", a->cluster.repositories.front().name},
                 {"archiver", !a->binlogs ? "the server's archive_command (archive enable)"
                              : a->cluster.pitr_sync ? "archive binlog --sync"
                                                     : "archive binlog --follow"}});
  a->progress.agent = !a->binlogs && !options_.wal_agent_dir.empty();
  Archive* raw = a.get();
  if (raw->binlogs) {
    // pitrSync: the semi-synchronous receiver is the archiver (it catches up the way a cycle
    // does, then streams).
    raw->progress.receiver = raw->cluster.pitr_sync;
    raw->archiver = std::thread([this, raw] {
      Supervise(*raw, raw->cluster.pitr_sync ? BinlogReceiverKind() : BinlogArchiverKind());
    });
  } else {
    raw->archiver = std::thread([this, raw] { WatchServer(*raw); });
  }
  if (raw->progress.agent) {
    core::LogInfo(
        "WAL agent started",
        {{"cluster", key},
         {"socket", WalAgentSocket(options_.wal_agent_dir, raw->cluster.ns, raw->cluster.name)},
         {"hint",
          "the server uses it once 'hasteward archive enable ... "
          "--agent-socket SOCKET' named it in its archive_command"}});
    raw->agent = std::thread([this, raw] { Supervise(*raw, WalAgentKind()); });
  }
  // The synchronous receiver (pitrSync): a child like the agent; the primary waits for it only
  // once `archive enable --sync` named it (serve never changes server settings).
  if (!raw->binlogs && raw->cluster.pitr_sync) {
    raw->progress.receiver = true;
    core::LogInfo("WAL receiver started",
                  {{"cluster", key},
                   {"hint",
                    "the primary waits for it once 'hasteward archive enable ... --sync' named "
                    "it in synchronous_standby_names"}});
    raw->receiver = std::thread([this, raw] { Supervise(*raw, WalReceiverKind()); });
  }
  raw->status = std::thread([this, raw] { RefreshWindow(*raw); });
  return a;
}

void ArchiveSupervisor::StopAll() {
  std::map<std::string, std::unique_ptr<Archive>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    all.swap(archives_);
  }
  for (auto& [key, a] : all)
    a->Stop();
}

std::vector<ArchiveProgress> ArchiveSupervisor::Progress() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<ArchiveProgress> out;
  for (const auto& [key, a] : archives_) {
    std::lock_guard<std::mutex> progress_lock(a->mu);
    out.push_back(a->progress);
  }
  return out;
}

}  // namespace hasteward::op
