// KubeNode: the real single-node cluster of tools/kube-node.sh (real kubelet, containerd, runc,
// CNI, kube-proxy, CoreDNS beside the real control plane) as the end-to-end tier's tests see it:
// the run directory comes from $HASTEWARD_KUBE_NODE, which tools/test-kubernetes.sh sets after
// `tools/kube-node.sh up`. Everything a test starts runs inside the node's network namespace, the
// only place where the API server, the pods and the services have an address.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "support/command.h"

namespace hasteward::testing {

class KubeNode {
 public:
  // The node of $HASTEWARD_KUBE_NODE; kNotFound (naming tools/test-kubernetes.sh) when unset.
  static core::Result<std::unique_ptr<KubeNode>> Attach();

  const std::string& run_dir() const { return run_dir_; }
  // `nsenter --net=<the node's namespace> --`: what a command needs to reach the cluster.
  std::vector<std::string> EnterPrefix() const;
  // The built kubectl as the cluster admin, inside the node's network.
  CmdResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_text = "") const;
  // kubectl apply --server-side of `yaml`.
  core::Status Apply(const std::string& yaml) const;
  // The object `kind/name` in `ns` ("" for a cluster-wide kind) as JSON.
  core::Result<nlohmann::json> Get(const std::string& kind, const std::string& ns,
                                   const std::string& name) const;
  // Polls `ready` every half second for up to `bound`; kTimeout naming `what` and the last
  // `describe()` (when given) if it never held.
  core::Status WaitFor(const std::string& what, std::chrono::seconds bound,
                       const std::function<bool()>& ready,
                       const std::function<std::string()>& describe = {}) const;
  // Runs `command` in container `container` of pod `ns/pod` through the API server and the
  // kubelet (kubectl exec), `stdin_text` on its stdin.
  CmdResult Exec(const std::string& ns, const std::string& pod, const std::string& container,
                 const std::vector<std::string>& command, const std::string& stdin_text = "") const;

  // Creates namespace `ns` (a fresh one: an earlier one of that name is deleted first).
  core::Status FreshNamespace(const std::string& ns) const;
  // Applies deploy/ (the CRDs, the operator's ServiceAccount and RBAC, as users apply it) once,
  // and writes a kubeconfig of the `hasteward` ServiceAccount's token whose default namespace is
  // `ns`: the credentials the CLI runs with in the tier.
  core::Result<std::string> HastewardKubeconfig(const std::string& ns) const;
  // tools/kube/operators/install.sh `operator` (cnpg): the real operator from its release manifest.
  core::Status InstallOperator(const std::string& operator_name) const;
  // HASteward's own image made by deploy/image/build.sh from `binary` (an OCI archive, the
  // image's Debian root cached as the image test caches it) and imported into the node's
  // containerd as `tag`: what deploy/'s operator Deployment runs on the node.
  core::Status ImportHastewardImage(const std::string& binary, const std::string& tag) const;

 private:
  explicit KubeNode(std::string run_dir, std::map<std::string, std::string> env)
      : run_dir_(std::move(run_dir)), env_(std::move(env)) {}
  std::string run_dir_;
  std::map<std::string, std::string> env_;  // RUN/env
};

}  // namespace hasteward::testing
