// FakeKubeApi as the node a real kube-apiserver proxies pod exec and port-forward to: the
// kubelet's streaming paths (k8s.io/kubernetes pkg/kubelet/server/server.go),
// /exec/NS/POD/CONTAINER and /portForward/NS/POD, with the parameters the API server passes on
// (input, output, error, command; port) and the transports it speaks to a kubelet: SPDY/3.1 (what
// it translates a WebSocket v5 client to, and what kubectl before 1.30 asks for) or a WebSocket
// passed through.
#include <algorithm>

#include <strings.h>

#include "platform/kubernetes/websocket.h"
#include "support/fake_kube_api.h"

namespace hasteward::testing {

namespace k8s = platform::kubernetes;

namespace {

std::vector<std::string> KubeletPathParts(const std::string& path) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (at < path.size()) {
    size_t next = path.find('/', at);
    if (next == std::string::npos) {
      next = path.size();
    }
    if (next > at) {
      parts.push_back(path.substr(at, next - at));
    }
    at = next + 1;
  }
  return parts;
}

bool Offers(const FakeKubeRequest& request, const std::string& header, const std::string& value) {
  const std::vector<std::string> offered = request.HeaderValues(header);
  return std::find(offered.begin(), offered.end(), value) != offered.end();
}

}  // namespace

bool FakeKubeApi::IsKubeletPath(const std::string& path) {
  return path.starts_with("/exec/") || path.starts_with("/portForward/");
}

void FakeKubeApi::SetKubeletPodAddress(const std::string& ns, const std::string& pod,
                                       const std::string& address) {
  std::lock_guard lock(mu_);
  kubelet_pod_addresses_[ns + "/" + pod] = address;
}

bool FakeKubeApi::HandleKubelet(FakeKubeRequest& request, k8s::NetStream& stream,
                                k8s::BufferedReader& reader) {
  const std::vector<std::string> parts = KubeletPathParts(request.path);
  if (parts.size() >= 4 && parts[0] == "exec") {
    FakeExecRequest exec;
    exec.command = request.QueryAll("command");
    exec.container = parts.back();
    exec.stdin = request.QueryFlag("input");
    exec.stdout = request.QueryFlag("output");
    exec.stderr = request.QueryFlag("error");
    return ServeExec(request, stream, reader, exec, parts[1] + "/" + parts[2],
                     {"v5.channel.k8s.io", "v4.channel.k8s.io"});
  }
  if (parts.size() >= 3 && parts[0] == "portForward") {
    FakePortForwardRequest forward;
    forward.pod = parts[2];
    {
      std::lock_guard lock(mu_);
      auto it = kubelet_pod_addresses_.find(parts[1] + "/" + parts[2]);
      forward.pod_ip = it == kubelet_pod_addresses_.end() ? "127.0.0.1" : it->second;
      ++port_forwards_;
      // A node that answers for another port: the real API server passes a WebSocket
      // port-forward through unchanged, so its client judges the node's own framing.
      forward.wrong_port_prefix = faults_.count(FakeKubeFault::kPortForwardWrongPortPrefix) != 0;
    }
    return ServeKubeletPortForward(request, stream, reader, forward);
  }
  return WriteFakeKubeReply(stream, StatusReply(404, "NotFound", "no such kubelet path"));
}

bool FakeKubeApi::ServeKubeletPortForward(FakeKubeRequest& request, k8s::NetStream& stream,
                                          k8s::BufferedReader& reader,
                                          FakePortForwardRequest forward) {
  if (::strcasecmp(request.Header("Upgrade").c_str(), "SPDY/3.1") == 0 &&
      Offers(request, "X-Stream-Protocol-Version", "portforward.k8s.io")) {
    const std::string head =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
        "X-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n";
    if (stream.WriteAll(core::AsBytes(head)).ok()) {
      RunFakeSpdyPortForwardSession(stream, reader, forward);
    }
    return false;
  }
  forward.port = std::atoi(request.Query("port").c_str());
  if (request.Header("Upgrade").empty() ||
      !Offers(request, "Sec-WebSocket-Protocol", "v4.channel.k8s.io") || forward.port <= 0) {
    return WriteFakeKubeReply(
        stream, StatusReply(400, "BadRequest",
                            "port-forward needs a SPDY/3.1 upgrade (portforward.k8s.io) or a "
                            "WebSocket one (v4.channel.k8s.io) with one port"));
  }
  const std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
      "Upgrade\r\nSec-WebSocket-Accept: " +
      k8s::WsAcceptFor(request.Header("Sec-WebSocket-Key")) +
      "\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n";
  if (stream.WriteAll(core::AsBytes(head)).ok()) {
    RunFakePortForwardSession(stream, reader, forward);
  }
  return false;
}

}  // namespace hasteward::testing
