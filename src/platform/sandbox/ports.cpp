#include "platform/sandbox/ports.h"

#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/fd.h"

namespace hasteward::platform::sandbox {

namespace {

core::Result<core::UniqueFd> BindLoopback(int port) {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return core::ErrnoStatus("socket", errno);
  }
  // SO_REUSEADDR as every server sets it: connections in TIME_WAIT do not hold the port, only
  // a live listener or bound socket does.
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return core::ErrnoStatus("setsockopt SO_REUSEADDR", errno);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return core::ErrnoStatus("bind 127.0.0.1:" + std::to_string(port), errno);
  }
  return fd;
}

}  // namespace

core::Result<std::vector<int>> FreeLoopbackPorts(int count) {
  std::vector<core::UniqueFd> held;
  std::vector<int> ports;
  for (int n = 0; n < count; ++n) {
    HS_ASSIGN_OR_RETURN(auto fd, BindLoopback(0));
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return core::ErrnoStatus("getsockname", errno);
    }
    ports.push_back(ntohs(addr.sin_port));
    held.push_back(std::move(fd));
  }
  return ports;
}

bool PortIsFree(int port) {
  return BindLoopback(port).ok();
}

}  // namespace hasteward::platform::sandbox
