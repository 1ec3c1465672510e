#include "platform/kubernetes/pod_instance.h"

#include <atomic>
#include <thread>

#include <poll.h>

#include "core/fd.h"
#include "platform/kubernetes/operator_discovery.h"
#include "platform/kubernetes/pod_exec.h"

namespace hasteward::platform::kubernetes {
namespace {

// Exit code reported when the exec session itself failed (as kubectl exec does for its errors).
constexpr int kTransportFailure = 255;
constexpr int kStdinPollMillis = 100;

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
                         Instance instance)
    : InstanceHandle(std::move(cluster), std::move(instance)), client_(std::move(client)) {}

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
  HS_ASSIGN_OR_RETURN(auto exec, PodExec::Start(*client_, request));
  return core::Subprocess::StartRemote(options, std::make_unique<PodCommand>(std::move(exec)));
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

core::Status PodInstance::Start(std::chrono::milliseconds /*timeout*/) {
  return Unsupported("start the server");
}

core::Status PodInstance::StartNewCluster(std::chrono::milliseconds /*timeout*/) {
  return Unsupported("bootstrap a new cluster");
}

core::Status PodInstance::Stop(std::chrono::milliseconds /*timeout*/) {
  return Unsupported("stop the server");
}

core::Status PodInstance::Fence(std::chrono::milliseconds /*timeout*/) {
  return Unsupported("fence the server");
}

core::Result<bool> PodInstance::IsRunning() {
  HS_ASSIGN_OR_RETURN(auto object, client_->Get(resources::kPods, cluster().ns, pod()));
  if (object.value("/status/phase"_json_pointer, std::string()) != "Running") {
    return false;
  }
  // Without container statuses (a minimal pod object) the phase decides.
  const auto statuses =
      object.value("/status/containerStatuses"_json_pointer, nlohmann::json::array());
  for (const auto& s : statuses) {
    if (s.value("name", "") == container()) {
      return s.contains("/state/running"_json_pointer);
    }
  }
  return true;
}

}  // namespace hasteward::platform::kubernetes
