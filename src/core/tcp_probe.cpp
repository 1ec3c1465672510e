#include "core/tcp_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/fd.h"
#include "core/poll_until.h"

namespace hasteward::core {

bool TcpAccepts(const std::string& host, int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1) {
    return false;
  }
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
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
