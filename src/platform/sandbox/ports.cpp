#include "platform/sandbox/ports.h"

#include <cerrno>
#include <fstream>
#include <random>
#include <string>

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

std::pair<int, int> SandboxPortRange(const std::string& range_file) {
  constexpr int kFirst = 20000;
  constexpr int kFallbackEnd = 32768;
  // Room for several sandboxes at once; below this the range is not worth using.
  constexpr int kMinimumWidth = 2000;
  std::ifstream in(range_file);
  int ephemeral_low = 0;
  int ephemeral_high = 0;
  if (in >> ephemeral_low >> ephemeral_high && ephemeral_low - kFirst >= kMinimumWidth) {
    return {kFirst, ephemeral_low};
  }
  return {kFirst, kFallbackEnd};
}

core::Result<std::vector<int>> FreeLoopbackPorts(int count) {
  auto [first, last] = SandboxPortRange();
  const int width = last - first;
  if (count > width) {
    return core::Usage("cannot reserve " + std::to_string(count) +
                       " sandbox ports from a range of " + std::to_string(width));
  }
  // A random starting point, so that sandboxes started at the same moment by different processes
  // (parallel tests) rarely probe the same ports; the bind below settles any overlap.
  std::random_device seed;
  std::uniform_int_distribution<int> start(0, width - 1);
  const int offset = start(seed);
  std::vector<core::UniqueFd> held;
  std::vector<int> ports;
  for (int step = 0; step < width && static_cast<int>(ports.size()) < count; ++step) {
    int port = first + (offset + step) % width;
    auto fd = BindLoopback(port);
    if (!fd.ok()) {
      continue;  // in use: a listener, or a socket in a state SO_REUSEADDR does not cover
    }
    ports.push_back(port);
    held.push_back(std::move(fd).value());
  }
  if (static_cast<int>(ports.size()) < count) {
    return core::Status(core::ErrorCode::kUnreachable,
                        "only " + std::to_string(ports.size()) + " of " + std::to_string(count) +
                            " loopback ports in " + std::to_string(first) + ".." +
                            std::to_string(last - 1) + " are free",
                        "stop other sandboxes (hasteward sandbox down) and retry");
  }
  return ports;
}

bool PortIsFree(int port) {
  return BindLoopback(port).ok();
}

}  // namespace hasteward::platform::sandbox
