// A network namespace for HASteward's CLI that reaches the real node's API server and nothing
// else (issue 51, tier step "the CLI from a namespace that reaches only the API server"): the
// namespace has only its loopback, where a relay (socat) listens on 127.0.0.1:6443 and carries
// each connection into the node's network namespace to the API server, whose certificate names
// 127.0.0.1. The pods' addresses have no route from inside, so every SQL session must be a
// port-forward and every file operation an exec through the API server.
//
//   auto api_only = ApiOnlyNamespace::Start(node);
//   env.SetCommandPrefix((*api_only)->EnterPrefix());
//   env.Set("KUBECONFIG", *(*api_only)->Relayed(kubeconfig));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/subprocess.h"
#include "support/isolated_netns.h"
#include "support/kube_node.h"

namespace hasteward::testing {

class ApiOnlyNamespace {
 public:
  // `api_server` is host:port of the API server inside the node's network namespace (a
  // kubeconfig's server URL without https://).
  static core::Result<std::unique_ptr<ApiOnlyNamespace>> Start(const KubeNode& node,
                                                               const std::string& api_server,
                                                               const std::string& work_dir);
  ~ApiOnlyNamespace();
  ApiOnlyNamespace(const ApiOnlyNamespace&) = delete;
  ApiOnlyNamespace& operator=(const ApiOnlyNamespace&) = delete;

  std::vector<std::string> EnterPrefix() const { return netns_->EnterPrefix(); }
  // A copy of `kubeconfig` (JSON, as KubeNode::HastewardKubeconfig writes it) whose server is the
  // relay; its path.
  core::Result<std::string> Relayed(const std::string& kubeconfig) const;
  // Whether a TCP connection to host:port succeeds from inside within 5 s.
  bool Reaches(const std::string& host, int port) const;

 private:
  ApiOnlyNamespace(std::unique_ptr<IsolatedNetns> netns, std::string work_dir)
      : netns_(std::move(netns)), work_dir_(std::move(work_dir)) {}

  std::unique_ptr<IsolatedNetns> netns_;
  std::string work_dir_;
  std::unique_ptr<core::Subprocess> relay_;
};

// The API server's host:port in a kubeconfig (JSON) at `path`: its first cluster's server URL
// without the scheme.
core::Result<std::string> ApiServerOf(const std::string& path);

}  // namespace hasteward::testing
