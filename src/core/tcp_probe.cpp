#include "core/tcp_probe.h"

#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "core/fd.h"
#include "core/poll_until.h"

namespace hasteward::core {

bool TcpAccepts(const std::string& host, int port, std::chrono::milliseconds timeout) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1) {
    return false;
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    return true;
  }
  if (errno != EINPROGRESS) {
    return false;
  }
  pollfd waiting{.fd = fd.get(), .events = POLLOUT, .revents = 0};
  int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
  if (ready != 1) {
    return false;
  }
  int error = 0;
  socklen_t length = sizeof(error);
  return ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
}

Status WaitForTcp(const std::string& host, int port, std::chrono::milliseconds timeout,
                  const std::string& what) {
  if (PollUntil([&] { return TcpAccepts(host, port); }, timeout)) {
    return Status::Ok();
  }
  return Status(ErrorCode::kTimeout,
                what + " did not accept connections on " + host + ":" + std::to_string(port) +
                    " within " + std::to_string(timeout.count() / 1000) + "s",
                "check the server log");
}

}  // namespace hasteward::core
