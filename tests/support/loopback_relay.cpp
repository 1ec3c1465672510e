#include "support/loopback_relay.h"

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hasteward::testing {
namespace {

core::Result<core::UniqueFd> ConnectLoopback(int port) {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return core::ErrnoStatus("socket", errno);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return core::ErrnoStatus("connect 127.0.0.1:" + std::to_string(port), errno);
  }
  return fd;
}

// Sends all of `data` (MSG_NOSIGNAL: a peer gone is an error here, not the test's SIGPIPE).
bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

constexpr int kPollMs = 20;  // how soon a pump notices a partition, a heal or the end

}  // namespace

// Copies `from` to `to` until `from` ends (then `to` is half-closed, as the peer closed its side)
// or either fails (then both are shut down, which ends the other direction too). While
// partitioned, the bytes wait in the sockets' buffers.
void LoopbackRelay::Pump(int from, int to) const {
  char buffer[64 * 1024];
  while (true) {
    if (partitioned_ && !stopping_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      continue;
    }
    pollfd ready{from, POLLIN, 0};
    const int polled = ::poll(&ready, 1, kPollMs);
    if (polled == 0 || (polled < 0 && errno == EINTR)) {
      continue;
    }
    ssize_t n = ::recv(from, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n == 0) {
      ::shutdown(to, SHUT_WR);
      return;
    }
    if (n < 0 || !SendAll(to, buffer, static_cast<size_t>(n))) {
      ::shutdown(from, SHUT_RDWR);
      ::shutdown(to, SHUT_RDWR);
      return;
    }
  }
}

core::Result<std::unique_ptr<LoopbackRelay>> LoopbackRelay::Start(int upstream_port) {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return core::ErrnoStatus("socket", errno);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd.get(), 64) != 0) {
    return core::ErrnoStatus("listen on 127.0.0.1", errno);
  }
  return Start(std::move(fd), upstream_port);
}

core::Result<std::unique_ptr<LoopbackRelay>> LoopbackRelay::Start(core::UniqueFd listening,
                                                                  int upstream_port) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(listening.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return core::ErrnoStatus("getsockname", errno);
  }
  std::unique_ptr<LoopbackRelay> relay(
      new LoopbackRelay(std::move(listening), ntohs(addr.sin_port), upstream_port));
  relay->acceptor_ = std::thread([r = relay.get()] { r->AcceptLoop(); });
  return relay;
}

LoopbackRelay::~LoopbackRelay() {
  stopping_ = true;
  // Wakes the blocked accept (Linux answers it EINVAL) and every blocked recv.
  ::shutdown(listening_.get(), SHUT_RDWR);
  acceptor_.join();
  std::vector<std::thread> pumps;
  {
    std::lock_guard lock(mu_);
    for (const auto& connection : connections_) {
      if (connection->ended < 2) {
        ::shutdown(connection->client.get(), SHUT_RDWR);
        ::shutdown(connection->upstream.get(), SHUT_RDWR);
      }
    }
    pumps.swap(pumps_);
  }
  for (std::thread& pump : pumps) {
    pump.join();
  }
}

void LoopbackRelay::AcceptLoop() {
  while (!stopping_) {
    core::UniqueFd client(::accept4(listening_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      return;  // shut down
    }
    Join(std::move(client));
  }
}

void LoopbackRelay::Join(core::UniqueFd client) {
  core::Result<core::UniqueFd> upstream = ConnectLoopback(upstream_port_);
  if (!upstream.ok()) {
    return;  // the client sees its connection closed, as when the server is down
  }
  auto connection = std::make_shared<Connection>();
  connection->client = std::move(client);
  connection->upstream = std::move(upstream).value();
  std::lock_guard lock(mu_);
  if (stopping_) {
    return;
  }
  connections_.push_back(connection);
  for (bool upward : {true, false}) {
    const int from = upward ? connection->client.get() : connection->upstream.get();
    const int to = upward ? connection->upstream.get() : connection->client.get();
    pumps_.emplace_back([this, connection, from, to] {
      Pump(from, to);
      // The second direction to end closes the connection (under mu_, so the destructor never
      // shuts down a number the process reused meanwhile).
      std::lock_guard done_lock(mu_);
      if (++connection->ended == 2) {
        connection->client.Reset();
        connection->upstream.Reset();
      }
    });
  }
}

}  // namespace hasteward::testing
