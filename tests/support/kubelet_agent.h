// KubeletAgent: the test node's kubelet, as far as a real kube-apiserver reaches one (issue 50):
// the kubelet's streaming paths (k8s.io/kubernetes pkg/kubelet/server/server.go),
// /exec/NS/POD/CONTAINER and /portForward/NS/POD, with the parameters the API server passes on
// (input, output, error, command; port) over the transports it speaks to a kubelet: SPDY/3.1 (what
// it translates a WebSocket v5 client to, and what kubectl before 1.30 asks for) or a WebSocket
// passed through. HTTPS with a certificate of the API server's authority; only a client
// certificate of that authority (the API server's --kubelet-client-certificate) is served.
// A pod's commands run as local processes (a FakePodExecutor), its ports are local addresses.
// RealKubeNode registers it as a Node; nothing here runs containers (issue 51's real node does).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "platform/kubernetes/net_stream.h"
#include "support/fake_kube_exec.h"
#include "support/fake_kube_pki.h"
#include "support/fake_kube_portforward.h"
#include "support/fake_kube_request.h"

namespace hasteward::testing {

struct KubeletAgentOptions {
  // The authority whose certificates the agent serves with and accepts (the API server's).
  std::shared_ptr<FakeKubePki> pki;
  // Exec subprotocols accepted on a WebSocket passed through, in the agent's order of preference.
  std::vector<std::string> exec_protocols = {"v5.channel.k8s.io", "v4.channel.k8s.io"};
};

// A node broken on purpose, to show what the client sees through the real API server.
enum class KubeletFault {
  kExecOmitsStatus,             // exec ends without the status channel message
  kPortForwardWrongPortPrefix,  // port-forward's first channel messages name another port
};

class KubeletAgent {
 public:
  static core::Result<std::unique_ptr<KubeletAgent>> Start(KubeletAgentOptions options);
  ~KubeletAgent();
  KubeletAgent(const KubeletAgent&) = delete;
  KubeletAgent& operator=(const KubeletAgent&) = delete;

  int port() const { return port_; }
  // How commands run "in" pod `ns/pod` (as given when unset).
  void SetPodExecutor(const std::string& ns, const std::string& pod, FakePodExecutor executor);
  // Where port-forwards to pod `ns/pod` are dialled (127.0.0.1 unless set).
  void SetPodAddress(const std::string& ns, const std::string& pod, const std::string& address);
  // A port-forward to pod `ns/pod` on port `named` dials `dialled`. Why: every real pod of a
  // StatefulSet listens on the same port in its own network namespace (a MariaDB's spec.port),
  // while the emulated servers share the loopback, each on a port of its own; a client that names
  // a pod by the resource's port (HASteward does for a pod it found scaled away) must reach that
  // pod's server, not the one that happens to listen on that port here.
  void SetPodPortAlias(const std::string& ns, const std::string& pod, int named, int dialled);
  void SetFaultForTest(KubeletFault fault, bool on);
  // The transport of every exec served, in order (which one the API server chose).
  std::vector<FakeExecTransportKind> ExecTransportsForTest() const;
  // How many port-forward sessions were served.
  int PortForwardsForTest() const;

 private:
  explicit KubeletAgent(KubeletAgentOptions options) : options_(std::move(options)) {}
  void AcceptLoop();
  void Serve(core::UniqueFd fd);
  bool HandleOne(platform::kubernetes::NetStream& stream,
                 platform::kubernetes::BufferedReader& reader);
  bool ServeExec(FakeKubeRequest& request, platform::kubernetes::NetStream& stream,
                 platform::kubernetes::BufferedReader& reader, FakeExecRequest exec,
                 const std::string& pod_key);
  bool ServePortForward(FakeKubeRequest& request, platform::kubernetes::NetStream& stream,
                        platform::kubernetes::BufferedReader& reader,
                        FakePortForwardRequest forward);

  KubeletAgentOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, FakePodExecutor> executors_;         // "ns/pod"
  std::map<std::string, std::string> addresses_;             // "ns/pod"
  std::map<std::string, std::pair<int, int>> port_aliases_;  // "ns/pod" -> (named, dialled)
  std::set<KubeletFault> faults_;
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
