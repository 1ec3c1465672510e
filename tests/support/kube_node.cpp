#include "support/kube_node.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/poll_until.h"
#include "support/source_dir.h"

namespace hasteward::testing {

namespace {

// RUN/env: KEY=VALUE lines written by tools/kube-node.sh up.
core::Result<std::map<std::string, std::string>> ReadEnv(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return core::Status(core::ErrorCode::kNotFound, "no node at " + path,
                        "start one: tools/kube-node.sh up");
  }
  std::map<std::string, std::string> env;
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) {
      env[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return env;
}

}  // namespace

core::Result<std::unique_ptr<KubeNode>> KubeNode::Attach() {
  const char* run = std::getenv("HASTEWARD_KUBE_NODE");
  if (run == nullptr || *run == '\0') {
    return core::Status(core::ErrorCode::kNotFound, "HASTEWARD_KUBE_NODE is not set",
                        "the real-node tier runs through tools/test-kubernetes.sh");
  }
  HS_ASSIGN_OR_RETURN(auto env, ReadEnv(std::string(run) + "/env"));
  for (const char* key : {"NETNS", "KUBECONFIG", "BIN_CONTROL"}) {
    if (env[key].empty()) {
      return core::Internal(std::string(run) + "/env lacks " + key);
    }
  }
  return std::unique_ptr<KubeNode>(new KubeNode(run, std::move(env)));
}

std::vector<std::string> KubeNode::EnterPrefix() const {
  return {"nsenter", "--net=/run/netns/" + env_.at("NETNS"), "--"};
}

CmdResult KubeNode::Kubectl(const std::vector<std::string>& args,
                            const std::string& stdin_text) const {
  std::vector<std::string> argv = EnterPrefix();
  argv.push_back(env_.at("BIN_CONTROL") + "/kubectl");
  argv.insert(argv.end(), {"--kubeconfig", env_.at("KUBECONFIG")});
  argv.insert(argv.end(), args.begin(), args.end());
  if (stdin_text.empty()) {
    return RunCommand(argv);
  }
  const std::string input =
      run_dir_ + "/stdin-" + std::to_string(std::hash<std::string>{}(stdin_text));
  WriteFile(input, stdin_text);
  CmdResult r = RunCommand(argv, {}, input);
  std::remove(input.c_str());
  return r;
}

core::Status KubeNode::Apply(const std::string& yaml) const {
  CmdResult r = Kubectl({"apply", "--server-side", "--force-conflicts", "-f", "-"}, yaml);
  if (r.exit_code != 0) {
    return core::Internal("kubectl apply: " + r.err + r.out);
  }
  return core::Status::Ok();
}

core::Result<nlohmann::json> KubeNode::Get(const std::string& kind, const std::string& ns,
                                           const std::string& name) const {
  std::vector<std::string> args = {"get", kind, name, "-o", "json"};
  if (!ns.empty()) {
    args.insert(args.end(), {"-n", ns});
  }
  CmdResult r = Kubectl(args);
  if (r.exit_code != 0) {
    const bool missing = r.err.find("NotFound") != std::string::npos;
    return core::Status(missing ? core::ErrorCode::kNotFound : core::ErrorCode::kInternal,
                        "kubectl get " + kind + " " + name + ": " + r.err);
  }
  return nlohmann::json::parse(r.out);
}

core::Status KubeNode::WaitFor(const std::string& what, std::chrono::seconds bound,
                               const std::function<bool()>& ready,
                               const std::function<std::string()>& describe) const {
  if (core::PollUntil(ready, bound, std::chrono::milliseconds(500))) {
    return core::Status::Ok();
  }
  return core::Status(core::ErrorCode::kTimeout,
                      what + ": not within " + std::to_string(bound.count()) + " s" +
                          (describe ? "\n" + describe() : std::string()));
}

CmdResult KubeNode::Exec(const std::string& ns, const std::string& pod,
                         const std::string& container, const std::vector<std::string>& command,
                         const std::string& stdin_text) const {
  std::vector<std::string> args = {"exec", "-n", ns, pod, "-c", container};
  if (!stdin_text.empty()) {
    args.push_back("-i");
  }
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  return Kubectl(args, stdin_text);
}

core::Status KubeNode::FreshNamespace(const std::string& ns) const {
  (void)Kubectl({"delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=300s"});
  CmdResult r = Kubectl({"create", "namespace", ns});
  if (r.exit_code != 0) {
    return core::Internal("kubectl create namespace " + ns + ": " + r.err);
  }
  // Pods need the namespace's default ServiceAccount, which the controller-manager makes.
  return WaitFor("the default ServiceAccount of " + ns, std::chrono::seconds(60), [&] {
    return Kubectl({"get", "sa", "default", "-n", ns}).exit_code == 0;
  });
}

core::Result<std::string> KubeNode::HastewardKubeconfig(const std::string& ns) const {
  // deploy/ as users apply it; its operator Deployment is not this tier's subject yet (the CLI
  // runs with the operator's account from outside the cluster), so it is scaled to none.
  if (Kubectl({"get", "clusterrole", "hasteward-operator"}).exit_code != 0) {
    CmdResult deploy = Kubectl({"apply", "-k", SourceDir() + "/deploy"});
    if (deploy.out.find("clusterrole.rbac.authorization.k8s.io/hasteward-operator") ==
        std::string::npos) {
      return core::Internal("kubectl apply -k deploy/: " + deploy.out + deploy.err);
    }
    (void)Kubectl({"scale", "-n", "hasteward", "deployment/hasteward", "--replicas=0"});
  }
  std::ifstream binding_in(SourceDir() + "/deploy/examples/secret-reader-rolebinding.yaml");
  std::stringstream binding;
  binding << binding_in.rdbuf();
  std::string text = binding.str();
  for (auto at = text.find("DATABASE_NAMESPACE"); at != std::string::npos;
       at = text.find("DATABASE_NAMESPACE")) {
    text.replace(at, std::string("DATABASE_NAMESPACE").size(), ns);
  }
  CmdResult bound = Kubectl({"apply", "-n", ns, "-f", "-"}, text);
  if (bound.exit_code != 0) {
    return core::Internal("the secret reader's binding in " + ns + ": " + bound.err);
  }
  CmdResult token = Kubectl({"create", "token", "hasteward", "-n", "hasteward", "--duration=2h"});
  if (token.exit_code != 0) {
    return core::Internal("kubectl create token: " + token.err);
  }
  HS_ASSIGN_OR_RETURN(nlohmann::json admin, [&]() -> core::Result<nlohmann::json> {
    CmdResult view = Kubectl({"config", "view", "--raw", "--minify", "-o", "json"});
    if (view.exit_code != 0) {
      return core::Internal("kubectl config view: " + view.err);
    }
    return nlohmann::json::parse(view.out);
  }());
  const nlohmann::json& cluster = admin["clusters"][0]["cluster"];
  const std::string path = run_dir_ + "/hasteward-" + ns + ".kubeconfig";
  nlohmann::json kubeconfig = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters", {{{"name", "node"}, {"cluster", cluster}}}},
      {"users",
       {{{"name", "hasteward"}, {"user", {{"token", token.out.substr(0, token.out.find('\n'))}}}}}},
      {"contexts",
       {{{"name", "node"},
         {"context", {{"cluster", "node"}, {"user", "hasteward"}, {"namespace", ns}}}}}},
      {"current-context", "node"}};
  WriteFile(path, kubeconfig.dump(2));
  return path;
}

core::Status KubeNode::InstallOperator(const std::string& operator_name) const {
  CmdResult r = RunCommand(
      {SourceDir() + "/tools/kube/operators/install.sh", operator_name, "--dir", run_dir_});
  if (r.exit_code != 0) {
    return core::Internal("tools/kube/operators/install.sh " + operator_name + ": " + r.err +
                          r.out);
  }
  return core::Status::Ok();
}

core::Status KubeNode::ImportHastewardImage(const std::string& binary,
                                            const std::string& tag) const {
  const std::string archive = run_dir_ + "/hasteward-image.tar";
  CmdResult built =
      RunCommand({SourceDir() + "/deploy/image/build.sh", "--binary", binary, "--tag", tag,
                  "--cache-dir", "/var/cache/hasteward-test/image", "--archive", archive});
  if (built.exit_code != 0) {
    return core::Internal("deploy/image/build.sh --archive: " + built.err + built.out);
  }
  CmdResult imported =
      RunCommand({SourceDir() + "/tools/kube-node.sh", "import", "--dir", run_dir_, archive});
  std::error_code ignored;
  std::filesystem::remove(archive, ignored);
  if (imported.exit_code != 0) {
    return core::Internal("tools/kube-node.sh import: " + imported.err + imported.out);
  }
  return core::Status::Ok();
}

}  // namespace hasteward::testing
