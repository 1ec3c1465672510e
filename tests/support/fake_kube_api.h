// FakeKubeApi: a Kubernetes API server of our own for tests (no real cluster can run on our
// machines). It serves exactly the API paths HASteward uses over HTTPS on 127.0.0.1 (a CA
// generated at start; plain HTTP on request for debugging) with the real semantics our client and
// the real clients (python3-kubernetes, kubectl) depend on: resourceVersions and 409 Conflict,
// Status objects, merge/JSON patches, label selectors, watches with BOOKMARKs and 410 Expired,
// `sendInitialEvents` refused with 400, bearer-token and client-certificate authentication, RBAC
// from the deploy/ manifests, and pod exec over WebSocket or SPDY/3.1 backed by real local
// processes, and pod port-forward over WebSocket to the pods' status.podIP. It is checked against
// the real clients in tests/platform/kubernetes/fake_kube_api_fidelity_test.cpp.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/status.h"
#include "core/temp_dir.h"
#include "platform/kubernetes/net_stream.h"
#include "support/fake_kube_exec.h"
#include "support/fake_kube_pki.h"
#include "support/fake_kube_portforward.h"
#include "support/fake_kube_rbac.h"
#include "support/fake_kube_request.h"
#include "support/fake_kube_store.h"

namespace hasteward::testing {

struct FakeKubeApiOptions {
  bool tls = true;
  // Exec subprotocols the server accepts, in its order of preference.
  std::vector<std::string> exec_protocols = {"v5.channel.k8s.io", "v4.channel.k8s.io"};
  std::chrono::milliseconds bookmark_every{1000};
  // Multi-document YAML with Roles/ClusterRoles and their bindings; when set, every non-admin
  // request is checked against it (403 Forbidden otherwise).
  std::string rbac_file;
  // A socket already bound and listening (e.g. made inside another network namespace), owned by
  // the server from Start on; -1: listen on 127.0.0.1 on a free port.
  int listen_fd = -1;
  // Certificates from this authority instead of a new one: a node agent behind a real
  // kube-apiserver shares its CA (the server verifies the agent, the agent the server).
  std::shared_ptr<FakeKubePki> pki;
};

// Semantics broken on purpose, to prove the fidelity checks can fail.
enum class FakeKubeFault {
  kExecOmitsStatus,    // exec ends without the status channel message
  kWatchNeverExpires,  // a watch from a compacted version silently misses the events in between
  kPortForwardWrongPortPrefix,  // port-forward's first channel messages name another port
};

class FakeKubeApi {
 public:
  static core::Result<std::unique_ptr<FakeKubeApi>> Start(FakeKubeApiOptions options = {});
  ~FakeKubeApi();
  FakeKubeApi(const FakeKubeApi&) = delete;
  FakeKubeApi& operator=(const FakeKubeApi&) = delete;

  int port() const { return port_; }
  std::string url() const;  // https://127.0.0.1:PORT (http:// without TLS)
  const std::string& ca_pem() const { return pki_->ca_pem(); }
  const std::string& ca_file() const { return ca_file_; }
  // A token whose requests pass every RBAC check (like system:masters).
  const std::string& admin_token() const { return admin_token_; }
  // A bearer token for a service account (RBAC applies).
  void AddServiceAccountToken(const std::string& token, const std::string& ns,
                              const std::string& name);
  core::Result<FakePemPair> IssueClientCertificate(const std::string& user,
                                                   const std::string& group) const;
  // Writes a kubeconfig for this server (CA data inline, the token as user) and returns its path.
  core::Result<std::string> WriteKubeconfig(const std::string& token,
                                            const std::string& ns = "default") const;

  // How commands run "in" a pod (the pod object must exist for exec to reach it).
  void SetPodExecutor(const std::string& ns, const std::string& pod, FakePodExecutor executor);
  // As a node behind a real kube-apiserver (fake_kubelet_routes.cpp): where port-forwards to a pod
  // are dialled (127.0.0.1 unless set).
  void SetKubeletPodAddress(const std::string& ns, const std::string& pod,
                            const std::string& address);
  void SetFaultForTest(FakeKubeFault fault, bool on);
  // While on, every request carrying `token` is dropped without an answer (its client is cut off
  // from the API server, as by a network partition); other clients are served as usual.
  void SetTokenPartitionedForTest(const std::string& token, bool partitioned);

  // Creates an object as an admin (kind and apiVersion pick the resource; namespace from
  // metadata, "default" when absent); returns it as stored.
  core::Result<nlohmann::json> CreateForTest(const nlohmann::json& object);
  FakeKubeStore& store() { return store_; }
  const FakeKubeResource* FindResource(const std::string& group, const std::string& plural) const;
  // The command of every exec request served, in order (to prove what crossed in argv).
  std::vector<std::vector<std::string>> ExecCommandsForTest() const;
  // The transport of every exec request served, in order (which one a client chose).
  std::vector<FakeExecTransportKind> ExecTransportsForTest() const;
  // How many port-forward sessions were served (to prove a connection went through the API).
  int PortForwardsForTest() const;
  // Requests that carried each user-visible verb, for RBAC coverage ("list pods", ...).
  std::set<std::string> GrantsUsedForTest() const;
  // Everything the loaded RBAC grants service account `ns/name`, in the same format.
  std::set<std::string> GrantsOfServiceAccountForTest(const std::string& ns,
                                                      const std::string& name) const;

 private:
  explicit FakeKubeApi(FakeKubeApiOptions options) : options_(std::move(options)) {}
  void AcceptLoop();
  void Serve(core::UniqueFd fd);
  bool HandleOne(platform::kubernetes::NetStream& stream,
                 platform::kubernetes::BufferedReader& reader);
  bool Authenticate(FakeKubeRequest& request, platform::kubernetes::NetStream& stream) const;
  bool IsPartitioned(const FakeKubeRequest& request) const;
  FakeKubeReply HandleDiscovery(const std::string& path) const;
  bool HandleResource(FakeKubeRequest& request, platform::kubernetes::NetStream& stream,
                      platform::kubernetes::BufferedReader& reader);
  bool StreamWatch(FakeKubeRequest& request, platform::kubernetes::NetStream& stream);
  bool HandleExec(FakeKubeRequest& request, platform::kubernetes::NetStream& stream,
                  platform::kubernetes::BufferedReader& reader);
  bool HandlePortForward(FakeKubeRequest& request, platform::kubernetes::NetStream& stream,
                         platform::kubernetes::BufferedReader& reader);
  // The exec upgrade and session of a pod (`ns/pod`), from the API's path or the kubelet's.
  bool ServeExec(FakeKubeRequest& request, platform::kubernetes::NetStream& stream,
                 platform::kubernetes::BufferedReader& reader, FakeExecRequest exec,
                 const std::string& pod_key, const std::vector<std::string>& spdy_protocols);
  static bool IsKubeletPath(const std::string& path);
  bool HandleKubelet(FakeKubeRequest& request, platform::kubernetes::NetStream& stream,
                     platform::kubernetes::BufferedReader& reader);
  bool ServeKubeletPortForward(FakeKubeRequest& request, platform::kubernetes::NetStream& stream,
                               platform::kubernetes::BufferedReader& reader,
                               FakePortForwardRequest forward);

  FakeKubeApiOptions options_;
  std::shared_ptr<FakeKubePki> pki_;
  std::unique_ptr<core::TempDir> dir_;
  std::string ca_file_;
  std::string admin_token_;
  std::vector<FakeKubeResource> resources_;
  FakeKubeStore store_;
  FakeKubeRbac rbac_;

  mutable std::mutex mu_;
  std::map<std::string, FakeKubeUser> tokens_;
  std::map<std::string, FakePodExecutor> executors_;          // "ns/pod"
  std::map<std::string, std::string> kubelet_pod_addresses_;  // "ns/pod"
  std::set<FakeKubeFault> faults_;
  std::set<std::string> partitioned_tokens_;
  std::set<std::string> grants_used_;
  std::vector<std::vector<std::string>> exec_commands_;
  std::vector<FakeExecTransportKind> exec_transports_;
  int port_forwards_ = 0;

  core::UniqueFd listen_fd_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex conn_mu_;
  std::set<int> open_fds_;
  std::vector<std::thread> workers_;
};

}  // namespace hasteward::testing
