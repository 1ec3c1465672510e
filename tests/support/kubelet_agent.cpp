#include "support/kubelet_agent.h"

#include <algorithm>
#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform/kubernetes/websocket.h"

namespace hasteward::testing {

namespace k8s = platform::kubernetes;

namespace {

// The exec subprotocols a kubelet offers on SPDY (what the API server translates to).
const std::vector<std::string> kSpdyExecProtocols = {"v5.channel.k8s.io", "v4.channel.k8s.io"};

std::vector<std::string> PathParts(const std::string& path) {
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

core::Result<std::unique_ptr<KubeletAgent>> KubeletAgent::Start(KubeletAgentOptions options) {
  if (options.pki == nullptr) {
    return core::Internal("a kubelet agent needs its API server's authority (options.pki)");
  }
  std::unique_ptr<KubeletAgent> agent(new KubeletAgent(std::move(options)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto* generic = reinterpret_cast<sockaddr*>(&addr);  // NOLINT(*-reinterpret-cast): sockets API
  agent->listen_fd_.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::bind(agent->listen_fd_.get(), generic, sizeof(addr)) != 0 ||
      ::listen(agent->listen_fd_.get(), 128) != 0) {
    return core::ErrnoStatus("listen on 127.0.0.1", errno);
  }
  socklen_t len = sizeof(addr);
  ::getsockname(agent->listen_fd_.get(), generic, &len);
  agent->port_ = ntohs(addr.sin_port);
  agent->acceptor_ = std::thread([raw = agent.get()] { raw->AcceptLoop(); });
  return agent;
}

KubeletAgent::~KubeletAgent() {
  stopping_ = true;
  ::shutdown(listen_fd_.get(), SHUT_RDWR);
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(conn_mu_);
    for (int fd : open_fds_) {
      ::shutdown(fd, SHUT_RDWR);
    }
    workers.swap(workers_);
  }
  for (auto& worker : workers) {
    worker.join();
  }
}

void KubeletAgent::SetPodExecutor(const std::string& ns, const std::string& pod,
                                  FakePodExecutor executor) {
  std::lock_guard lock(mu_);
  executors_[ns + "/" + pod] = std::move(executor);
}

void KubeletAgent::SetPodAddress(const std::string& ns, const std::string& pod,
                                 const std::string& address) {
  std::lock_guard lock(mu_);
  addresses_[ns + "/" + pod] = address;
}

void KubeletAgent::SetPodPortAlias(const std::string& ns, const std::string& pod, int named,
                                   int dialled) {
  std::lock_guard lock(mu_);
  port_aliases_[ns + "/" + pod] = {named, dialled};
}

void KubeletAgent::SetFaultForTest(KubeletFault fault, bool on) {
  std::lock_guard lock(mu_);
  if (on) {
    faults_.insert(fault);
  } else {
    faults_.erase(fault);
  }
}

std::vector<FakeExecTransportKind> KubeletAgent::ExecTransportsForTest() const {
  std::lock_guard lock(mu_);
  return exec_transports_;
}

int KubeletAgent::PortForwardsForTest() const {
  std::lock_guard lock(mu_);
  return port_forwards_;
}

void KubeletAgent::AcceptLoop() {
  for (;;) {
    int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (stopping_) {
      if (fd >= 0) {
        ::close(fd);
      }
      return;
    }
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return;
    }
    std::lock_guard lock(conn_mu_);
    open_fds_.insert(fd);
    workers_.emplace_back([this, fd] { Serve(core::UniqueFd(fd)); });
  }
}

void KubeletAgent::Serve(core::UniqueFd fd) {
  const int raw_fd = fd.get();
  auto accepted = k8s::NetStream::FromAcceptedTls(std::move(fd), options_.pki->server_context());
  if (accepted.ok()) {
    k8s::BufferedReader reader(accepted->get());
    while (!stopping_ && HandleOne(**accepted, reader)) {
    }
  }
  std::lock_guard lock(conn_mu_);
  open_fds_.erase(raw_fd);  // erased before the stream closes the fd, so no one shuts it after
}

bool KubeletAgent::HandleOne(k8s::NetStream& stream, k8s::BufferedReader& reader) {
  auto read = ReadFakeKubeRequest(reader);
  if (!read.ok()) {
    return false;
  }
  FakeKubeRequest& request = *read;
  // Only the API server, with its client certificate of the authority, is served.
  if (stream.PeerCommonName().empty()) {
    return WriteFakeKubeReply(stream, StatusReply(401, "Unauthorized", "Unauthorized"));
  }
  const std::vector<std::string> parts = PathParts(request.path);
  // The kubelet's streaming routes (exec, attach, portForward) declare no representation they
  // produce, so its router (go-restful) answers any Accept but none or */* with this 406; the
  // API server passes the client's Accept through. Seen on the real kubelet 1.36 (issue 51),
  // where HASteward's `Accept: application/json` on the upgrade failed every exec.
  const std::string accept = request.Header("Accept");
  if ((parts.empty() || parts[0] == "exec" || parts[0] == "portForward") && !accept.empty() &&
      accept.find("*/*") == std::string::npos) {
    return WriteFakeKubeReply(stream, {406, "406: Not Acceptable"});
  }
  if (parts.size() >= 4 && parts[0] == "exec") {
    FakeExecRequest exec;
    exec.command = request.QueryAll("command");
    exec.container = parts.back();
    exec.stdin = request.QueryFlag("input");
    exec.stdout = request.QueryFlag("output");
    exec.stderr = request.QueryFlag("error");
    return ServeExec(request, stream, reader, exec, parts[1] + "/" + parts[2]);
  }
  if (parts.size() >= 3 && parts[0] == "portForward") {
    FakePortForwardRequest forward;
    forward.pod = parts[2];
    {
      std::lock_guard lock(mu_);
      auto it = addresses_.find(parts[1] + "/" + parts[2]);
      forward.pod_ip = it == addresses_.end() ? "127.0.0.1" : it->second;
      auto alias = port_aliases_.find(parts[1] + "/" + parts[2]);
      if (alias != port_aliases_.end()) {
        forward.port_alias = alias->second;
      }
      ++port_forwards_;
      // A node that answers for another port: the real API server passes a WebSocket
      // port-forward through unchanged, so its client judges the node's own framing.
      forward.wrong_port_prefix = faults_.count(KubeletFault::kPortForwardWrongPortPrefix) != 0;
    }
    return ServePortForward(request, stream, reader, forward);
  }
  return WriteFakeKubeReply(stream, StatusReply(404, "NotFound", "no such kubelet path"));
}

bool KubeletAgent::ServeExec(FakeKubeRequest& request, k8s::NetStream& stream,
                             k8s::BufferedReader& reader, FakeExecRequest exec,
                             const std::string& pod_key) {
  // The API server upgrades to SPDY/3.1 (translating a WebSocket v5 client, or for kubectl before
  // 1.30) with its stream protocols in X-Stream-Protocol-Version lines, or passes a WebSocket on.
  const bool spdy = ::strcasecmp(request.Header("Upgrade").c_str(), "SPDY/3.1") == 0;
  const std::vector<std::string> offered =
      request.HeaderValues(spdy ? "X-Stream-Protocol-Version" : "Sec-WebSocket-Protocol");
  for (const auto& wanted : spdy ? kSpdyExecProtocols : options_.exec_protocols) {
    if (exec.protocol.empty() &&
        std::find(offered.begin(), offered.end(), wanted) != offered.end()) {
      exec.protocol = wanted;
    }
  }
  if (request.Header("Upgrade").empty() || exec.protocol.empty()) {
    return WriteFakeKubeReply(
        stream, StatusReply(400, "BadRequest",
                            "pod exec needs a WebSocket upgrade with one of the subprotocols "
                            "v5.channel.k8s.io, v4.channel.k8s.io or a SPDY/3.1 upgrade"));
  }
  FakePodExecutor executor;
  FakeExecFault fault = FakeExecFault::kNone;
  {
    std::lock_guard lock(mu_);
    exec_transports_.push_back(spdy ? FakeExecTransportKind::kSpdy
                                    : FakeExecTransportKind::kWebSocket);
    auto it = executors_.find(pod_key);
    if (it != executors_.end()) {
      executor = it->second;
    }
    if (faults_.count(KubeletFault::kExecOmitsStatus) != 0) {
      fault = FakeExecFault::kOmitStatus;
    }
  }
  FakePodProcess process = executor ? executor(exec.command, exec.container)
                                    : FakePodProcess{exec.command, {}, {}, {}, {}};
  const std::string head =
      spdy ? "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "
             "SPDY/3.1\r\nX-Stream-Protocol-Version: " +
                 exec.protocol + "\r\n\r\n"
           : "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
             "Upgrade\r\nSec-WebSocket-Accept: " +
                 k8s::WsAcceptFor(request.Header("Sec-WebSocket-Key")) +
                 "\r\nSec-WebSocket-Protocol: " + exec.protocol + "\r\n\r\n";
  if (!stream.WriteAll(core::AsBytes(head)).ok()) {
    return false;
  }
  if (spdy) {
    RunFakeSpdyExecSession(stream, reader, exec, process, fault);
  } else {
    RunFakeExecSession(stream, reader, exec, process, fault);
  }
  return false;  // the upgraded connection ends with the session
}

bool KubeletAgent::ServePortForward(FakeKubeRequest& request, k8s::NetStream& stream,
                                    k8s::BufferedReader& reader, FakePortForwardRequest forward) {
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
