// A TCP connection to a pod's port through the API server: the pods' `portforward` subresource
// over WebSocket (v4.channel.k8s.io), as `kubectl port-forward` does. A workstation that reaches
// only the API server reaches the databases this way. For one port the server uses channel 0
// for data and channel 1 for errors; its first message on each channel is the port number (2
// bytes, little-endian), and client messages carry the channel byte in front of the data.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/net_stream.h"
#include "platform/kubernetes/websocket.h"

namespace hasteward::platform::kubernetes {

struct PortForwardTarget {
  std::string ns;
  std::string pod;
  int port = 0;
};

// One forwarded connection. Send may run on one thread while another runs Receive; Close may run
// on any thread and wakes both.
class PortForwardSession {
 public:
  static core::Result<std::unique_ptr<PortForwardSession>> Open(const KubeClient& client,
                                                                const PortForwardTarget& target);
  ~PortForwardSession();
  PortForwardSession(const PortForwardSession&) = delete;
  PortForwardSession& operator=(const PortForwardSession&) = delete;

  core::Status Send(core::ByteView data);
  // Reads bytes the pod's port sent; 0 when the server ended the session. A message on the error
  // channel (the kubelet could not connect to the port, ...) is returned as an error once the data
  // before it has been read.
  core::Result<size_t> Receive(std::span<uint8_t> buf);
  // The same bytes without a copy: everything of the current message not yet read, valid until
  // the next Receive or ReceiveView; empty when the server ended the session. The forwarder's
  // relay writes it straight into the local socket.
  core::Result<core::ByteView> ReceiveView();
  // Shuts the connection down (the server closes its connection to the pod's port).
  void Close();

 private:
  PortForwardSession() = default;
  core::Status ReceiveMessage();
  // Reads messages until data is pending, the error channel spoke, or the session ended.
  core::Status AwaitData();
  core::Status Accept(core::Bytes payload);
  core::Status WriteFrame(WsOpcode opcode, core::ByteView payload);

  std::unique_ptr<NetStream> stream_;
  std::unique_ptr<BufferedReader> reader_;
  std::string what_;
  PortForwardTarget target_;
  std::mutex write_mu_;
  core::Bytes data_;
  size_t data_pos_ = 0;
  std::array<bool, 2> port_seen_{};  // the port prefix of channel 0 and 1 was read
  std::string error_;
  bool done_ = false;
};

}  // namespace hasteward::platform::kubernetes
