// A TCP server on 127.0.0.1 (ephemeral port) that echoes every connection's bytes back until the
// peer closes: the "database" behind a port-forward in tests that check only the relay.
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/fd.h"

namespace hasteward::testing {

class TcpEchoServer {
 public:
  TcpEchoServer();
  ~TcpEchoServer();
  TcpEchoServer(const TcpEchoServer&) = delete;
  TcpEchoServer& operator=(const TcpEchoServer&) = delete;
  int port() const { return port_; }

 private:
  int port_ = 0;
  core::UniqueFd fd_;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> open_;
  std::vector<std::thread> workers_;
};

// A socket bound to 127.0.0.1 on an ephemeral port that does not listen: connections to it are
// refused (a "pod" port nothing serves). Its port is in `*port`.
core::UniqueFd RefusingTcpPort(int* port);

// Writes `text` to `fd` on one thread and reads as many bytes back on this one (less at an early
// end of stream).
std::string EchoRoundTrip(int fd, const std::string& text);

}  // namespace hasteward::testing
