#include "support/tcp_echo_server.h"

#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hasteward::testing {
namespace {

core::UniqueFd BoundLoopback(int* port) {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(addr);
  // NOLINTBEGIN(*-reinterpret-cast): the sockets API takes sockaddr*
  (void)::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  (void)::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &size);
  // NOLINTEND(*-reinterpret-cast)
  *port = ntohs(addr.sin_port);
  return fd;
}

// Sends all of `data`; false when the peer is gone. MSG_NOSIGNAL: a peer that closed while its
// echo was on the way (a client that stops at an error) must not kill the test with SIGPIPE.
bool EchoAll(int fd, std::span<const uint8_t> data) {
  while (!data.empty()) {
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent <= 0) {
      return false;
    }
    data = data.subspan(static_cast<size_t>(sent));
  }
  return true;
}

void Echo(int fd) {
  core::Bytes buffer(65536);
  for (;;) {
    auto got = core::ReadSome(fd, buffer);
    if (!got.ok() || *got == 0 || !EchoAll(fd, std::span(buffer).first(*got))) {
      ::shutdown(fd, SHUT_WR);  // the peer sees the end (closed by the destructor)
      return;
    }
  }
}

}  // namespace

TcpEchoServer::TcpEchoServer() : fd_(BoundLoopback(&port_)) {
  (void)::listen(fd_.get(), SOMAXCONN);
  acceptor_ = std::thread([this] {
    for (;;) {
      const int conn = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) {
        return;
      }
      std::lock_guard lock(mu_);
      open_.push_back(conn);
      workers_.emplace_back([conn] { Echo(conn); });
    }
  });
}

TcpEchoServer::~TcpEchoServer() {
  ::shutdown(fd_.get(), SHUT_RDWR);
  acceptor_.join();
  for (int fd : open_) {
    ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& worker : workers_) {
    worker.join();
  }
  for (int fd : open_) {
    ::close(fd);
  }
}

core::UniqueFd RefusingTcpPort(int* port) {
  return BoundLoopback(port);
}

std::string EchoRoundTrip(int fd, const std::string& text) {
  core::Status written;
  std::thread writer([&] { written = core::WriteAll(fd, core::AsBytes(text)); });
  std::string back;
  core::Bytes buffer(65536);
  while (back.size() < text.size()) {
    auto got = core::ReadSome(fd, buffer);
    if (!got.ok() || *got == 0) {
      break;
    }
    back.append(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(*got));
  }
  writer.join();
  return written.ok() ? back : std::string();
}

}  // namespace hasteward::testing
