#include "operator/serve.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <unistd.h>

#include "core/log.h"
#include "operator/archive/archive_supervisor.h"
#include "operator/crd/cluster_discovery.h"
#include "operator/crd/crd_source.h"
#include "operator/runtime/http_server.h"
#include "operator/runtime/job_events.h"
#include "operator/runtime/metrics.h"
#include "operator/runtime/retention_hook.h"
#include "operator/runtime/scaled_clock.h"
#include "operator/runtime/scheduler.h"
#include "operator/standby/standby_crd_source.h"
#include "operator/standby/standby_metrics.h"
#include "operator/standby/standby_runner.h"
#include "platform/registry.h"
#include "platform/state_dir.h"

namespace hasteward::op {

namespace {

volatile std::sig_atomic_t g_stop = 0;

void OnStopSignal(int /*sig*/) {
  g_stop = 1;
}

void InstallStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

std::unique_ptr<core::Clock> MakeClock(const ServeOptions& o, const ServeState& s) {
  auto real = core::SystemClock::Get().Now();
  if (o.tick_seconds == 60)
    return std::make_unique<core::SystemClock>();
  auto resume = std::chrono::system_clock::time_point(std::chrono::seconds(s.clock_now));
  return std::make_unique<ScaledClock>(std::max(real, resume), o.tick_seconds);
}

struct Servers {
  std::unique_ptr<HttpServer> metrics;
  std::unique_ptr<HttpServer> health;
};

// What the serve loop drives besides the scheduler.
struct Acting {
  Scheduler& scheduler;
  ArchiveSupervisor& archives;
  StandbyRunner& standbys;
  StandbyCrdSource* standby_resources;  // null: the platform stores no StandbyCluster resources
};

// Every standby serve runs: the config file's, then the StandbyCluster resources'.
std::vector<StandbyProgress> AllStandbys(const Acting& acting) {
  std::vector<StandbyProgress> all = acting.standbys.Progress();
  if (acting.standby_resources != nullptr) {
    for (auto& progress : acting.standby_resources->Progress())
      all.push_back(std::move(progress));
  }
  return all;
}

double UnixNow() {
  return std::chrono::duration<double>(core::SystemClock::Get().Now().time_since_epoch()).count();
}

core::Result<Servers> StartServers(const ServeOptions& o, StateStore& state, const Acting& acting,
                                   std::atomic<bool>& ready) {
  Scheduler& scheduler = acting.scheduler;
  ArchiveSupervisor& archives = acting.archives;
  Servers s;
  HS_ASSIGN_OR_RETURN(s.metrics, HttpServer::Start(o.metrics_addr, [&](const std::string& path) {
                        if (path != "/metrics")
                          return HttpResponse{404, "text/plain; charset=utf-8", "not found\n"};
                        // Copies: discovery may change the managed set meanwhile.
                        const auto clusters = scheduler.clusters();
                        MetricsContext ctx{scheduler.engines(),
                                           scheduler.ScheduleStarts(),
                                           scheduler.running(),
                                           true,
                                           true,
                                           RetentionAvailable(),
                                           jobs::LoadSwitchoverRecords(platform::DefaultStateDir()),
                                           archives.Progress(),
                                           UnixNow()};
                        return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                                            RenderMetrics(clusters, state.Snapshot(), ctx) +
                                                RenderStandbyMetrics(AllStandbys(acting))};
                      }));
  HS_ASSIGN_OR_RETURN(s.health, HttpServer::Start(o.health_addr, [&](const std::string& path) {
                        if (path == "/healthz")
                          return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
                        if (path == "/readyz") {
                          return ready ? HttpResponse{200, "text/plain; charset=utf-8", "ready\n"}
                                       : HttpResponse{503, "text/plain; charset=utf-8",
                                                      "not ready\n"};
                        }
                        return HttpResponse{404, "text/plain; charset=utf-8", "not found\n"};
                      }));
  core::LogInfo("serving",
                {{"metrics", o.metrics_addr + " (port " + std::to_string(s.metrics->port()) + ")"},
                 {"health", o.health_addr + " (port " + std::to_string(s.health->port()) + ")"}});
  return s;
}

// Leaves the job's Events on its cluster (platform::RecordEvent: on Kubernetes beside the CR). A
// failure is logged, never a job error: the job's result is already recorded.
void RecordJobEvents(const platform::PlatformOptions& where, const JobRequest& request,
                     const JobResult& result) {
  auto platform = platform::OpenPlatform(where);
  auto cluster = platform.ok() ? (*platform)->FindCluster(request.cluster.ns, request.cluster.name)
                               : core::Result<platform::Cluster>(platform.status());
  core::Status recorded = cluster.status();
  for (const auto& event : JobEvents(request, result)) {
    if (!recorded.ok())
      break;
    recorded = (*platform)->RecordEvent(*cluster, event);
  }
  if (!recorded.ok()) {
    core::LogWarn("record job event", {{"cluster", request.cluster.Key()},
                                       {"job", JobKindName(request.kind)},
                                       {"error", recorded.message()}});
  }
}

// Opens and starts the platform's leader election; nullptr when the platform needs none (one
// operator per host), and then this replica always acts.
core::Result<std::unique_ptr<platform::LeaderElection>> StartElection(
    const ServeConfig& config, const platform::PlatformOptions& where) {
  HS_ASSIGN_OR_RETURN(auto p, platform::OpenPlatform(where));
  HS_ASSIGN_OR_RETURN(auto election, p->OpenLeaderElection(config.leader_election));
  if (election) {
    core::LogInfo("campaigning for leadership", {{"identity", election->identity()},
                                                 {"lease", config.leader_election.lease_name}});
    election->Start();
  }
  return election;
}

// Policies or repositories from the platform's resources changed: discovery resolves the clusters
// against the new config at its next poll. The config file's clusters name only its own policies
// (checked at start), so they always resolve.
void ApplyMergedConfig(ServeConfig merged, ClusterDiscovery& discovery) {
  auto configured = ResolveClusters(merged);
  if (!configured.ok()) {
    core::LogError("the merged policies do not resolve; keeping the previous ones",
                   {{"error", configured.status().message()}});
    return;
  }
  core::LogInfo("operator resources changed",
                {{"policies", std::to_string(merged.policies.size())},
                 {"repositories", std::to_string(merged.repositories.size())}});
  discovery.SetConfig(std::move(merged), std::move(configured).value());
}

// The scheduler runs only while this replica leads. Returns true when leadership was lost: then
// the replica stops acting at once (another may take over when the lease expires). Discovery runs
// on every replica, so a new leader starts with the current set.
// A replica that lost the lease stops acting at once and exits (no grace: the other replica may
// start jobs as soon as the lease expires). Its job and archiver processes are killed first; then
// the process ends without joining its other threads, which may wait on an API server this
// replica can no longer reach (a partition answers nothing: a thread recording a job's Event
// would keep a non-leader alive for as long as its requests take). client-go's controllers exit
// the same way when they stop leading.
[[noreturn]] void ExitAfterLeadershipLoss(const Acting& act) {
  core::LogError("leadership lost: aborting running jobs and exiting");
  const bool ended = act.scheduler.AbortJobs(std::chrono::seconds(10));
  act.archives.StopAll();
  act.standbys.StopAll();
  core::LogError("leadership of the operator lease was lost",
                 {{"hint",
                   "another replica acts now; this one exits and is restarted as a "
                   "candidate"},
                  {"jobs_ended", ended ? "true" : "false"}});
  std::fflush(nullptr);
  std::_Exit(static_cast<int>(core::ErrorCode::kSafetyStop));
}

bool RunWhileLeading(const Acting& act, ClusterDiscovery& discovery, CrdSource* crds,
                     const platform::LeaderElection* election) {
  Scheduler& scheduler = act.scheduler;
  bool acting = false;
  bool archives_current = false;
  while (g_stop == 0) {
    const bool leading = election == nullptr || election->Leading();
    // Leading() turns false when renewals stopped succeeding within the renew deadline: that is
    // a loss too, even before the election thread says so (this replica may have been frozen).
    if (election != nullptr && (election->Lost() || (acting && !leading))) {
      return true;
    }
    if (leading && !acting) {
      core::LogInfo("acting as leader");
      acting = true;
      // Standbys on the leader only, like jobs: one writer of each cursor.
      act.standbys.Start();
      if (act.standby_resources != nullptr)
        act.standby_resources->StartActing();
    }
    const auto now = core::SystemClock::Get().Monotonic();
    if (crds != nullptr) {
      if (auto merged = crds->Poll(now))
        ApplyMergedConfig(std::move(*merged), discovery);
    }
    if (auto changed = discovery.Poll(now)) {
      scheduler.SetClusters(std::move(changed->clusters), std::move(changed->engines));
      archives_current = false;
    }
    if (leading) {
      // Archivers run on the leader only, like jobs: two would archive the same binlogs.
      if (!archives_current)
        act.archives.Reconcile(scheduler.clusters(), scheduler.engines());
      archives_current = true;
      scheduler.Tick();
      if (crds != nullptr)
        crds->Report(scheduler.clusters());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

ArchiveSupervisorOptions ArchiveOptions(const ServeConfig& config, const std::string& exe,
                                        const platform::PlatformOptions& where,
                                        const std::string& log_format) {
  ArchiveSupervisorOptions options;
  options.self_exe = exe;
  options.platform = where;
  options.log_format = log_format;
  options.status_refresh = config.pitr_status_refresh;
  options.wal_agent_dir = config.wal_agent_dir.value_or(platform::DefaultStateDir() + "/wal-agent");
  return options;
}

}  // namespace

core::Status Serve(const ServeOptions& o) {
  if (o.tick_seconds <= 0)
    return core::Usage("--tick-seconds must be positive");
  HS_ASSIGN_OR_RETURN(ServeConfig config, LoadServeConfig(o.config_path));
  HS_ASSIGN_OR_RETURN(auto clusters, ResolveClusters(config));
  HS_ASSIGN_OR_RETURN(auto state, StateStore::Open(StateFilePath(config)));
  auto clock = MakeClock(o, state->Snapshot());
  int64_t now = UnixSeconds(clock->Now());
  HS_TRY(state->Update([now](ServeState& s) {
    if (s.first_start == 0)
      s.first_start = now;
    s.clock_now = now;
  }));
  platform::PlatformOptions where;
  where.name = config.platform;
  where.inventory_path = config.inventory;
  // The operator serves the clusters of every namespace (or the one its config names), not only
  // those of its own.
  where.cluster_scope = config.discovery.ns.empty() ? platform::ClusterScope::kAllNamespaces
                                                    : platform::ClusterScope::kOneNamespace;
  where.scope_namespace = config.discovery.ns;
  HS_ASSIGN_OR_RETURN(auto election, StartElection(config, where));
  HS_ASSIGN_OR_RETURN(auto crds, CrdSource::Open(config, where, config.discovery.resync));
  ServeConfig effective = crds ? crds->Start(core::SystemClock::Get().Monotonic()) : config;
  HS_ASSIGN_OR_RETURN(clusters, ResolveClusters(effective));
  ClusterDiscovery discovery(std::move(effective), clusters,
                             [where] { return platform::OpenPlatform(where); });
  ManagedSet managed = discovery.Start(core::SystemClock::Get().Monotonic());
  std::string exe = o.self_exe;
  if (exe.empty()) {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    exe = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/proc/self/exe";
  }
  ProcessJobRunner runner(exe, where, o.log_format);
  Scheduler scheduler(managed.clusters, managed.engines, *state, runner, *clock);
  scheduler.SetJobObserver(
      [where, crd = crds.get()](const JobRequest& request, const JobResult& result) {
        RecordJobEvents(where, request, result);
        if (crd != nullptr && request.kind == JobKind::kBackup) {
          for (const auto& repository : request.cluster.repositories)
            crd->RepositoryWritten(repository.name);
        }
      });
  ArchiveSupervisor archives(ArchiveOptions(config, exe, where, o.log_format));
  StandbyRunner standbys(config.standbys, StandbyRunnerOptions{});
  HS_ASSIGN_OR_RETURN(auto standby_resources,
                      StandbyCrdSource::Open(config, where, config.discovery.resync));
  const Acting acting{scheduler, archives, standbys, standby_resources.get()};
  std::atomic<bool> ready{false};
  g_stop = 0;
  InstallStopSignals();
  HS_ASSIGN_OR_RETURN(Servers servers, StartServers(o, *state, acting, ready));
  core::LogInfo("operator started", {{"clusters", std::to_string(managed.clusters.size())},
                                     {"standbys", std::to_string(config.standbys.size())},
                                     {"state", state->path()}});
  ready = true;
  if (RunWhileLeading(acting, discovery, crds.get(), election.get())) {
    ready = false;
    ExitAfterLeadershipLoss(acting);
  }
  ready = false;
  core::LogInfo("shutting down", {{"grace_seconds", std::to_string(o.grace.count())}});
  archives.StopAll();
  standbys.StopAll();
  if (standby_resources)
    standby_resources->Stop();
  scheduler.Shutdown(o.grace);
  // Released only after the running jobs ended, so a successor never overlaps them.
  if (election) {
    core::Status released = election->Stop();
    if (!released.ok())
      core::LogWarn("release leadership", {{"error", released.message()}});
  }
  HS_TRY(state->Update([&](ServeState& s) { s.clock_now = UnixSeconds(clock->Now()); }));
  core::LogInfo("operator stopped");
  return core::Status::Ok();
}

}  // namespace hasteward::op
