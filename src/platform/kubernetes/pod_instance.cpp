#include "platform/kubernetes/pod_instance.h"

#include <atomic>
#include <thread>

#include <poll.h>

#include "core/clock.h"
#include "core/fd.h"
#include "core/poll_until.h"
#include "core/wait_for.h"
#include "platform/kubernetes/cnpg_fencing.h"
#include "platform/kubernetes/heal_helper_pod.h"
#include "platform/kubernetes/mariadb_scaling.h"
#include "platform/kubernetes/operator_discovery.h"
#include "platform/kubernetes/pod_exec.h"

namespace hasteward::platform::kubernetes {
namespace {

// Exit code reported when the exec session itself failed (as kubectl exec does for its errors).
constexpr int kTransportFailure = 255;
constexpr int kStdinPollMillis = 100;
// How often Start/Fence look at the pod while waiting for the instance manager.
constexpr std::chrono::milliseconds kLifecyclePoll{200};

// One pod exec session driven as a core::Subprocess (core::RemoteCommand).
class PodCommand : public core::RemoteCommand {
 public:
  explicit PodCommand(std::unique_ptr<PodExec> exec) : exec_(std::move(exec)) {}

  core::ExitStatus Run(core::UniqueFd in, core::UniqueFd out, core::UniqueFd err) override {
    std::atomic<bool> ended{false};
    std::thread feeder;
    if (in.valid()) {
      feeder = std::thread([this, &in, &ended] { FeedStdin(in.get(), ended); });
    }
    core::FdSink out_sink(out.get());
    core::FdSink err_sink(err.get());
    auto exit = exec_->Wait(out.valid() ? &out_sink : nullptr, err.valid() ? &err_sink : nullptr);
    ended = true;
    if (feeder.joinable()) {
      feeder.join();
    }
    core::ExitStatus status;
    if (!exit.ok()) {
      if (err.valid()) {
        (void)core::WriteAll(err.get(), core::AsBytes(exit.status().ToString() + "\n"));
      }
      status.exit_code = kTransportFailure;
      return status;
    }
    status.exit_code = exit->exit_code;
    return status;
  }

  void Abort() override { exec_->Abort(); }

 private:
  // Copies the caller's stdin pipe into the session and half-closes it at end of input. Polls so
  // it also stops when the command ended while the caller still holds stdin open.
  void FeedStdin(int fd, const std::atomic<bool>& ended) {
    std::vector<uint8_t> buf(1 << 16);
    while (!ended) {
      pollfd p{fd, POLLIN, 0};
      int ready = ::poll(&p, 1, kStdinPollMillis);
      if (ready <= 0) {
        continue;
      }
      auto n = core::ReadSome(fd, buf);
      if (!n.ok() || *n == 0) {
        (void)exec_->CloseStdin();
        return;
      }
      if (!exec_->SendStdin(core::ByteView(buf.data(), *n)).ok()) {
        return;
      }
    }
  }

  std::unique_ptr<PodExec> exec_;
};

}  // namespace

PodInstance::PodInstance(std::shared_ptr<const KubeClient> client, Cluster cluster,
                         Instance instance, std::shared_ptr<InstanceRoute> route)
    : InstanceHandle(std::move(cluster), std::move(instance)),
      client_(std::move(client)),
      route_(std::move(route)) {}

std::string PodInstance::pod() const {
  auto it = instance().labels.find(kPodLabel);
  return it == instance().labels.end() ? instance().name : it->second;
}

std::string PodInstance::container() const {
  auto it = instance().labels.find(kContainerLabel);
  return it == instance().labels.end() ? "" : it->second;
}

Endpoint PodInstance::endpoint() const {
  return Endpoint{instance().host, instance().port, ""};
}

core::Result<std::unique_ptr<core::Subprocess>> PodInstance::Exec(core::SubprocessOptions options) {
  if (options.argv.empty()) {
    return core::Internal("pod exec without a command");
  }
  ExecRequest request;
  request.ns = cluster().ns;
  request.pod = pod();
  request.container = container();
  request.stdin = options.stdin_mode == core::StdioMode::kPipe;
  // The exec API takes no environment: `env` sets it in the container. Callers pass only
  // non-secret settings this way (locale, timeouts, file paths); secrets travel on stdin.
  if (!options.env_set.empty() || !options.env_unset.empty()) {
    request.command.emplace_back("env");
    for (const auto& name : options.env_unset) {
      request.command.push_back("-u");
      request.command.push_back(name);
    }
    for (const auto& [name, value] : options.env_set) {
      request.command.push_back(name);
      request.command.back().append("=").append(value);
    }
  }
  request.command.insert(request.command.end(), options.argv.begin(), options.argv.end());
  auto exec = PodExec::Start(*client_, request);
  if (!exec.ok() && exec.status().code() == core::ErrorCode::kNotFound &&
      UsesStatefulSetScaling()) {
    // The pod was scaled away to keep its server down: its data directory is reached through a
    // helper pod mounting the same volume.
    HS_ASSIGN_OR_RETURN(std::string helper, HelperPod());
    request.pod = helper;
    request.container = kHealHelperContainer;
    exec = PodExec::Start(*client_, request);
  }
  HS_ASSIGN_OR_RETURN(auto session, std::move(exec));
  return core::Subprocess::StartRemote(options, std::make_unique<PodCommand>(std::move(session)));
}

core::Result<std::string> PodInstance::HelperPod() const {
  MariaDbPodScaling scaling(*client_, cluster().ns, cluster().name, pod());
  HS_ASSIGN_OR_RETURN(bool away, scaling.ScaledAway());
  if (!away) {
    return core::NotFound("pod '" + cluster().ns + "/" + pod() + "' does not exist",
                          "its StatefulSet is re-creating it; run the command again");
  }
  HS_ASSIGN_OR_RETURN(auto set,
                      client_->Get(resources::kStatefulSets, cluster().ns, cluster().name));
  HS_ASSIGN_OR_RETURN(auto manifest,
                      HealHelperManifest(set, pod(), container(), instance().data_dir));
  return EnsureHealHelper(*client_, cluster().ns, manifest, exec_start_timeout());
}

// Plain files, not a directory, each named so that it ends with the original's name. Why:
// MariaDB lists every directory of its data directory as a database (10.11 shows a directory
// `.x` as `#mysql50#.x`, and a DROP DATABASE of it would delete the copies), and Galera's state
// transfer into a joiner deletes what it does not know: rsync deletes top-level directories the
// donor lacks (top-level files are outside its filter, so they stay), mariabackup deletes every
// top-level entry whose name does not end in one of its own files' names (it keeps
// `*grastate.dat` and `*galera.cache`). A name ending in the original's survives both.
InstanceHandle::KeptCopies PodInstance::KeptCopiesOf(const std::string& stamp) const {
  return KeptCopies{instance().data_dir, "hasteward-kept-" + stamp + "-"};
}

core::Status PodInstance::Unsupported(const std::string& what) const {
  auto op = cluster().options.find(kOperatorOption);
  std::string owner = op == cluster().options.end() ? "its operator" : op->second;
  return core::Usage("cannot " + what + " of pod '" + cluster().ns + "/" + pod() + "': " + owner +
                         " owns its lifecycle on the kubernetes platform",
                     "use the operator's own controls (e.g. fencing or suspending the resource)");
}

core::Result<std::string> PodInstance::ReadDataFile(const std::string& relative_path) {
  HS_TRY(CheckRelativeDataPath(relative_path));
  return Unsupported("read data-directory file '" + relative_path + "'");
}

core::Status PodInstance::WriteDataFile(const std::string& relative_path,
                                        const std::string& /*content*/, unsigned /*mode*/) {
  HS_TRY(CheckRelativeDataPath(relative_path));
  return Unsupported("write data-directory file '" + relative_path + "'");
}

Capabilities PodInstance::capabilities() const {
  Capabilities out{Capability::kOperatorOwnsLifecycle};
  return UsesCnpgFencing() || UsesStatefulSetScaling() ? out.With(Capability::kCanStartStop) : out;
}

bool PodInstance::UsesCnpgFencing() const {
  auto op = cluster().options.find(kOperatorOption);
  return op != cluster().options.end() && op->second == kCnpgOperator;
}

bool PodInstance::UsesStatefulSetScaling() const {
  auto op = cluster().options.find(kOperatorOption);
  return op != cluster().options.end() && op->second == kMariaDbOperator;
}

core::Result<PodInstance::PodState> PodInstance::ReadPodState() const {
  PodState state;
  auto got = client_->Get(resources::kPods, cluster().ns, pod());
  if (!got.ok() && got.status().code() == core::ErrorCode::kNotFound) {
    return state;  // a pod scaled away (or not yet re-created) runs nothing
  }
  HS_ASSIGN_OR_RETURN(auto object, std::move(got));
  if (object.value("/status/phase"_json_pointer, std::string()) != "Running") {
    return state;
  }
  // Without container statuses (a minimal pod object) the phase decides.
  state.container_running = true;
  state.ready = true;
  const auto statuses =
      object.value("/status/containerStatuses"_json_pointer, nlohmann::json::array());
  for (const auto& s : statuses) {
    if (s.value("name", "") == container()) {
      state.container_running = s.contains("/state/running"_json_pointer);
      state.ready = s.value("ready", false);
    }
  }
  return state;
}

core::Result<bool> PodInstance::InFenceList() const {
  HS_ASSIGN_OR_RETURN(auto cr,
                      client_->Get(resources::kCnpgClusters, cluster().ns, cluster().name));
  HS_ASSIGN_OR_RETURN(auto fenced, FencedInstances(cr));
  return CoversPod(fenced, pod());
}

core::Status PodInstance::WaitForPod(const std::string& what, std::chrono::milliseconds timeout,
                                     const std::function<core::Result<bool>()>& probe) const {
  return core::WaitFor("pod '" + cluster().ns + "/" + pod() + "' to be " + what, timeout, probe,
                       {.interval = kLifecyclePoll,
                        .hint = "check the pod's events and its operator's log (kubectl describe "
                                "pod)",
                        .stop_on_probe_error = true});
}

core::Status PodInstance::Start(std::chrono::milliseconds timeout) {
  if (UsesStatefulSetScaling()) {
    return MariaDbPodScaling(*client_, cluster().ns, cluster().name, pod()).ScaleUp(timeout);
  }
  if (!UsesCnpgFencing()) {
    return Unsupported("start the server");
  }
  HS_TRY(SetFenced(*client_, cluster().ns, cluster().name, pod(), false));
  // Ready is the instance manager's answer that PostgreSQL accepts connections again.
  return WaitForPod("ready (unfenced)", timeout, [this]() -> core::Result<bool> {
    HS_ASSIGN_OR_RETURN(PodState state, ReadPodState());
    return state.container_running && state.ready;
  });
}

core::Status PodInstance::StartNewCluster(std::chrono::milliseconds /*timeout*/) {
  return Unsupported("bootstrap a new cluster");
}

core::Status PodInstance::Stop(std::chrono::milliseconds timeout) {
  // A stop that the instance manager undid at once would let repair move a data directory away
  // under a starting server: the fence is the stop.
  return UsesCnpgFencing() || UsesStatefulSetScaling() ? Fence(timeout)
                                                       : Unsupported("stop the server");
}

core::Status PodInstance::Fence(std::chrono::milliseconds timeout) {
  if (UsesStatefulSetScaling()) {
    // Gone is the only down that mariadb-operator's pods know; the suspended resource and the
    // lowered replica count keep it gone until Start.
    return MariaDbPodScaling(*client_, cluster().ns, cluster().name, pod()).ScaleDown(timeout);
  }
  if (!UsesCnpgFencing()) {
    return Unsupported("fence the server");
  }
  HS_TRY(SetFenced(*client_, cluster().ns, cluster().name, pod(), true));
  return WaitForPod("stopped (fenced)", timeout, [this]() -> core::Result<bool> {
    HS_ASSIGN_OR_RETURN(bool running, IsRunning());
    return !running;
  });
}

core::Result<bool> PodInstance::IsRunning() {
  HS_ASSIGN_OR_RETURN(PodState state, ReadPodState());
  if (!state.container_running) {
    return false;
  }
  if (!UsesCnpgFencing() || state.ready) {
    return true;
  }
  // A fenced CNPG pod keeps running with PostgreSQL stopped; its readiness drops once the
  // instance manager has stopped it. Not ready without a fence is a server still starting.
  HS_ASSIGN_OR_RETURN(bool fenced, InFenceList());
  return !fenced;
}

}  // namespace hasteward::platform::kubernetes
