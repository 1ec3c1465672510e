// A TCP relay in the test process: accepts on a listening socket (one it is given, e.g. bound
// inside a network namespace by IsolatedNetns::ListenOnLoopback, or its own on 127.0.0.1) and
// joins each connection, byte for byte, to a server on the test process's own loopback
// (127.0.0.1:upstream_port). TLS passes through untouched: the client verifies the upstream
// server's certificate, so it must name the address the client dials. For tests in which a
// command may reach one server and nothing else, where the server cannot take a socket made
// elsewhere (a real kube-apiserver binds its own), and for partitions: while partitioned, no byte
// crosses in either direction, on open connections or new ones, and nothing is reset or closed,
// so a client learns of it only by its own timeouts; once healed, the held bytes go on, as TCP's
// retransmissions would deliver them.
//
//   auto relay = LoopbackRelay::Start(std::move(*netns->ListenOnLoopback()), api.port());
//   // inside the namespace, 127.0.0.1:(*relay)->port() leads to the API server and nowhere else
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/fd.h"
#include "core/status.h"

namespace hasteward::testing {

class LoopbackRelay {
 public:
  static core::Result<std::unique_ptr<LoopbackRelay>> Start(core::UniqueFd listening,
                                                            int upstream_port);
  // Listens on 127.0.0.1 on a free port.
  static core::Result<std::unique_ptr<LoopbackRelay>> Start(int upstream_port);
  // Closes the listener and every open connection.
  ~LoopbackRelay();
  LoopbackRelay(const LoopbackRelay&) = delete;
  LoopbackRelay& operator=(const LoopbackRelay&) = delete;

  int port() const { return port_; }  // the listening socket's, in its namespace
  void SetPartitioned(bool partitioned) { partitioned_ = partitioned; }

 private:
  struct Connection {
    core::UniqueFd client;
    core::UniqueFd upstream;
    int ended = 0;  // directions that ended (guarded by mu_)
  };
  LoopbackRelay(core::UniqueFd listening, int port, int upstream_port)
      : listening_(std::move(listening)), port_(port), upstream_port_(upstream_port) {}
  void AcceptLoop();
  void Join(core::UniqueFd client);
  void Pump(int from, int to) const;

  core::UniqueFd listening_;
  int port_;
  int upstream_port_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> partitioned_{false};
  std::mutex mu_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace hasteward::testing
