#include "support/kube_node_api_only.h"

#include <csignal>
#include <fstream>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/poll_until.h"
#include "support/command.h"

namespace hasteward::testing {

namespace {

constexpr int kRelayPort = 6443;

core::Result<nlohmann::json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return core::NotFound("cannot read " + path);
  }
  return nlohmann::json::parse(in);
}

}  // namespace

core::Result<std::string> ApiServerOf(const std::string& path) {
  HS_ASSIGN_OR_RETURN(nlohmann::json config, ReadJson(path));
  std::string server = config["clusters"][0]["cluster"].value("server", "");
  const std::string scheme = "https://";
  if (server.rfind(scheme, 0) != 0) {
    return core::Internal("kubeconfig " + path + " has no https server: '" + server + "'");
  }
  return server.substr(scheme.size());
}

core::Result<std::unique_ptr<ApiOnlyNamespace>> ApiOnlyNamespace::Start(
    const KubeNode& node, const std::string& api_server, const std::string& work_dir) {
  HS_ASSIGN_OR_RETURN(std::unique_ptr<IsolatedNetns> netns, IsolatedNetns::Start());
  std::unique_ptr<ApiOnlyNamespace> api_only(new ApiOnlyNamespace(std::move(netns), work_dir));
  // Each accepted connection runs this, which joins the node's namespace and dials the server
  // (a script: socat's EXEC address would split the colons of its own address).
  const std::string dial = work_dir + "/dial-api-server.sh";
  {
    std::ofstream script(dial);
    script << "#!/bin/sh\nexec";
    for (const std::string& word : node.EnterPrefix()) {
      script << ' ' << word;
    }
    script << " socat STDIO TCP:" << api_server << '\n';
  }
  ::chmod(dial.c_str(), 0755);
  core::SubprocessOptions relay;
  relay.argv = api_only->EnterPrefix();
  relay.argv.insert(
      relay.argv.end(),
      {"socat", "TCP-LISTEN:" + std::to_string(kRelayPort) + ",bind=127.0.0.1,fork,reuseaddr",
       "EXEC:" + dial});
  relay.new_process_group = true;  // the forked connections end with it
  relay.stdout_mode = core::StdioMode::kNull;
  relay.stderr_mode = core::StdioMode::kFile;
  relay.stderr_file = work_dir + "/relay.stderr";
  HS_ASSIGN_OR_RETURN(api_only->relay_, core::Subprocess::Start(relay));
  if (!core::PollUntil([&] { return api_only->Reaches("127.0.0.1", kRelayPort); },
                       std::chrono::seconds(10))) {
    return core::Internal("the relay to the API server did not listen inside the namespace");
  }
  return api_only;
}

ApiOnlyNamespace::~ApiOnlyNamespace() {
  if (relay_ != nullptr) {
    relay_->Signal(SIGKILL);
    relay_->Wait();
  }
}

core::Result<std::string> ApiOnlyNamespace::Relayed(const std::string& kubeconfig) const {
  HS_ASSIGN_OR_RETURN(nlohmann::json config, ReadJson(kubeconfig));
  config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:" + std::to_string(kRelayPort);
  const std::string path = work_dir_ + "/api-only.kubeconfig";
  std::ofstream out(path);
  out << config.dump();
  if (!out) {
    return core::Internal("cannot write " + path);
  }
  return path;
}

bool ApiOnlyNamespace::Reaches(const std::string& host, int port) const {
  std::vector<std::string> argv = EnterPrefix();
  argv.insert(argv.end(), {"timeout", "5", "bash", "-c",
                           "exec 3<>/dev/tcp/" + host + "/" + std::to_string(port)});
  return RunCommand(argv).exit_code == 0;
}

}  // namespace hasteward::testing
