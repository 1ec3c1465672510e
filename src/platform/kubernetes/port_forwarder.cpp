#include "platform/kubernetes/port_forwarder.h"

#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "core/log.h"

namespace hasteward::platform::kubernetes {
namespace {

constexpr size_t kForwarderRelayBuffer = 256 << 10;

core::Result<core::UniqueFd> ListenOnLoopback(int* port) {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return core::ErrnoStatus("port-forward listener socket", errno);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // ephemeral: several forwarders (one per instance) run at once
  socklen_t size = sizeof(addr);
  // NOLINTBEGIN(*-reinterpret-cast): the sockets API takes sockaddr*
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd.get(), SOMAXCONN) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
    return core::ErrnoStatus("port-forward listener on 127.0.0.1", errno);
  }
  // NOLINTEND(*-reinterpret-cast)
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

core::Result<std::unique_ptr<PortForwarder>> PortForwarder::Start(const KubeClient& client,
                                                                  PortForwardTarget target) {
  std::unique_ptr<PortForwarder> forwarder(new PortForwarder(client, std::move(target)));
  HS_ASSIGN_OR_RETURN(forwarder->listen_fd_, ListenOnLoopback(&forwarder->port_));
  forwarder->acceptor_ = std::thread([raw = forwarder.get()] { raw->AcceptLoop(); });
  return forwarder;
}

PortForwarder::~PortForwarder() {
  stopping_ = true;
  ::shutdown(listen_fd_.get(), SHUT_RDWR);  // wakes accept()
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard lock(mu_);
    connections.swap(connections_);
  }
  for (auto& connection : connections) {
    {
      std::lock_guard lock(connection->mu);
      if (connection->session != nullptr) {
        connection->session->Close();
      }
    }
    ::shutdown(connection->local.get(), SHUT_RDWR);
    if (connection->thread.joinable()) {
      connection->thread.join();
    }
  }
}

core::Status PortForwarder::LastError() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void PortForwarder::Record(const core::Status& status) {
  core::LogWarn("port-forward session failed: " + status.ToString(),
                {{"pod", target_.ns + "/" + target_.pod}, {"port", std::to_string(target_.port)}});
  std::lock_guard lock(mu_);
  last_error_ = status;
}

void PortForwarder::ReapFinished() {
  std::list<std::unique_ptr<Connection>> done;
  {
    std::lock_guard lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      auto next = std::next(it);
      if ((*it)->finished) {
        done.splice(done.end(), connections_, it);
      }
      it = next;
    }
  }
  for (auto& connection : done) {
    connection->thread.join();
  }
}

void PortForwarder::AcceptLoop() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return;  // the destructor shut the listener down
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ReapFinished();
    auto connection = std::make_unique<Connection>();
    connection->local.Reset(fd);
    Connection* raw = connection.get();
    std::lock_guard lock(mu_);
    if (stopping_) {
      return;
    }
    connection->thread = std::thread([this, raw] { Serve(raw); });
    connections_.push_back(std::move(connection));
  }
}

void PortForwarder::Serve(Connection* connection) {
  auto session = PortForwardSession::Open(client_, target_);
  if (!session.ok()) {
    Record(session.status());
    ::shutdown(connection->local.get(), SHUT_RDWR);
    connection->finished = true;
    return;
  }
  PortForwardSession* raw = session->get();
  {
    std::lock_guard lock(connection->mu);
    connection->session = std::move(session).value();
    if (stopping_) {
      raw->Close();  // the destructor may have looked before the session was set
    }
  }
  Relay(connection, raw);
  connection->finished = true;
}

// Pod to local on a thread of its own, local to pod here; when either side ends, both are shut
// down (the channel protocol has no half-close: a client's end of input ends the session).
void PortForwarder::Relay(Connection* connection, PortForwardSession* session) {
  const int local = connection->local.get();
  std::thread downstream([&] {
    for (;;) {
      auto got = session->ReceiveView();  // no copy: the message's bytes go out as they are
      if (!got.ok()) {
        Record(got.status());
        break;
      }
      if (got->empty() || !core::WriteAll(local, *got).ok()) {
        break;
      }
    }
    ::shutdown(local, SHUT_RDWR);
    session->Close();
  });
  core::Bytes buffer(kForwarderRelayBuffer);
  for (;;) {
    auto got = core::ReadSome(local, buffer);
    if (!got.ok() || *got == 0 || !session->Send(std::span(buffer).first(*got)).ok()) {
      break;
    }
  }
  session->Close();
  ::shutdown(local, SHUT_RDWR);
  downstream.join();
}

}  // namespace hasteward::platform::kubernetes
