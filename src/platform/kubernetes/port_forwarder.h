// A local listener that forwards every accepted TCP connection to a pod's port through the API
// server (one PortForwardSession per connection), like `kubectl port-forward`: code that dials
// host:port (libpq, the MariaDB client, dump tools) reaches a pod it has no route to.
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/fd.h"
#include "core/status.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/port_forward.h"

namespace hasteward::platform::kubernetes {

// RAII: the destructor closes the listener and every session and joins their threads.
class PortForwarder {
 public:
  // Listens on 127.0.0.1 on an ephemeral port. Sessions open per connection, so a pod that is
  // not there yet is an error of the connection (logged, and in LastError), not of Start.
  static core::Result<std::unique_ptr<PortForwarder>> Start(const KubeClient& client,
                                                            PortForwardTarget target);
  ~PortForwarder();
  PortForwarder(const PortForwarder&) = delete;
  PortForwarder& operator=(const PortForwarder&) = delete;

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  const PortForwardTarget& target() const { return target_; }
  // The error of the last session that failed (refused upgrade, error channel), Ok when none.
  core::Status LastError() const;

 private:
  struct Connection {
    core::UniqueFd local;
    std::mutex mu;  // guards session against Close from the destructor
    std::unique_ptr<PortForwardSession> session;
    std::atomic<bool> finished{false};
    std::thread thread;
  };

  PortForwarder(const KubeClient& client, PortForwardTarget target)
      : client_(client), target_(std::move(target)) {}
  void AcceptLoop();
  void Serve(Connection* connection);
  void Relay(Connection* connection, PortForwardSession* session);
  void Record(const core::Status& status);
  void ReapFinished();

  KubeClient client_;
  PortForwardTarget target_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  core::UniqueFd listen_fd_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;
  core::Status last_error_;
};

}  // namespace hasteward::platform::kubernetes
