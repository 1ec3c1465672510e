// A TCP proxy on loopback that a test can cut as a network partition cuts a connection: while
// partitioned, no byte crosses in either direction, on open connections or on new ones (they are
// accepted and then hear nothing), and nothing is reset or closed, so the client learns of it only
// by its own timeouts. When the partition heals, the bytes held meanwhile go on, as TCP's
// retransmissions would deliver them. It relays bytes and never reads them: TLS passes through.
#pragma once

#include <atomic>
#include <memory>

#include "core/status.h"
#include "support/http_wire.h"

namespace hasteward::testing {

class StallingTcpProxy {
 public:
  // Listens on 127.0.0.1:<free port> and relays each connection to 127.0.0.1:upstream_port.
  static core::Result<std::unique_ptr<StallingTcpProxy>> Start(int upstream_port);
  ~StallingTcpProxy();
  StallingTcpProxy(const StallingTcpProxy&) = delete;
  StallingTcpProxy& operator=(const StallingTcpProxy&) = delete;

  int port() const { return server_->port(); }
  void SetPartitioned(bool partitioned) { partitioned_ = partitioned; }

 private:
  explicit StallingTcpProxy(int upstream_port) : upstream_port_(upstream_port) {}
  void Relay(int client_fd);

  int upstream_port_;
  std::atomic<bool> partitioned_{false};
  std::atomic<bool> stopping_{false};
  std::unique_ptr<LoopbackServer> server_;
};

}  // namespace hasteward::testing
