#include "support/stalling_tcp_proxy.h"

#include <array>
#include <thread>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hasteward::testing {
namespace {

constexpr int kPollMs = 20;  // how soon a relay notices a partition, a heal or the end

// Writes all of `data` to `fd`; false when the peer is gone.
bool RelayAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent <= 0) {
      return false;
    }
    data += sent;
    size -= static_cast<size_t>(sent);
  }
  return true;
}

}  // namespace

core::Result<std::unique_ptr<StallingTcpProxy>> StallingTcpProxy::Start(int upstream_port) {
  std::unique_ptr<StallingTcpProxy> proxy(new StallingTcpProxy(upstream_port));
  StallingTcpProxy* self = proxy.get();
  HS_ASSIGN_OR_RETURN(proxy->server_, LoopbackServer::Start(
                                          [self](HttpConn& client) { self->Relay(client.fd()); }));
  return proxy;
}

StallingTcpProxy::~StallingTcpProxy() {
  stopping_ = true;
  server_.reset();  // shuts every client connection down and joins the relays
}

void StallingTcpProxy::Relay(int client_fd) {
  // A connection opened during a partition reaches nothing until it heals.
  while (partitioned_ && !stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  auto upstream = ConnectLoopback(upstream_port_);
  if (!upstream.ok() || stopping_) {
    return;
  }
  const int fds[2] = {client_fd, upstream->get()};
  std::array<uint8_t, 65536> buffer{};
  while (!stopping_) {
    if (partitioned_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      continue;  // bytes wait in the sockets' buffers
    }
    pollfd pfds[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    if (::poll(pfds, 2, kPollMs) <= 0) {
      continue;
    }
    for (int side = 0; side < 2; ++side) {
      if ((pfds[side].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      ssize_t got = ::recv(fds[side], buffer.data(), buffer.size(), 0);
      if (got <= 0 || !RelayAll(fds[1 - side], buffer.data(), static_cast<size_t>(got))) {
        ::shutdown(fds[1 - side], SHUT_RDWR);  // one side ended: so does the other
        return;
      }
    }
  }
}

}  // namespace hasteward::testing
