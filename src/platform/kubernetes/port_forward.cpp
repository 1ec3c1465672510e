#include "platform/kubernetes/port_forward.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace hasteward::platform::kubernetes {
namespace {

constexpr uint8_t kForwardDataChannel = 0;
constexpr uint8_t kForwardErrorChannel = 1;
constexpr size_t kForwardMaxMessage = 16 << 20;
constexpr size_t kForwardSendFrame = 1 << 20;
const char kForwardProtocol[] = "v4.channel.k8s.io";

std::string PortForwardPath(const PortForwardTarget& target) {
  return ResourcePath(resources::kPods, target.ns, target.pod, "portforward") +
         "?ports=" + std::to_string(target.port);
}

std::string PortForwardHint(const PortForwardTarget& target) {
  return "check that pod '" + target.ns + "/" + target.pod + "' is running and listens on port " +
         std::to_string(target.port) +
         // A real server authorizes the WebSocket upgrade as both verbs (deploy/ grants both).
         ", and that the Kubernetes user may get and create pods/portforward in namespace '" +
         target.ns + "'";
}

}  // namespace

PortForwardSession::~PortForwardSession() = default;

core::Result<std::unique_ptr<PortForwardSession>> PortForwardSession::Open(
    const KubeClient& client, const PortForwardTarget& target) {
  std::unique_ptr<PortForwardSession> session(new PortForwardSession());
  session->what_ = "port-forward to pod '" + target.ns + "/" + target.pod + "' port " +
                   std::to_string(target.port);
  session->target_ = target;
  HS_ASSIGN_OR_RETURN(session->stream_, client.Connect());
  HS_ASSIGN_OR_RETURN(std::string head, client.RequestHead("GET", PortForwardPath(target),
                                                           KubeClient::Accepts::kStream));
  const std::string key = NewWsKey();
  head +=
      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: " +
      key + "\r\nSec-WebSocket-Protocol: " + kForwardProtocol + "\r\n\r\n";
  HS_TRY(session->stream_->WriteAll(core::AsBytes(head)));
  session->reader_ = std::make_unique<BufferedReader>(session->stream_.get());
  HS_ASSIGN_OR_RETURN(HttpAnswerHead answer, ReadAnswerHead(*session->reader_));
  if (answer.code != 101) {
    core::Bytes body;
    const std::string length = answer.Get("content-length");
    if (!length.empty()) {
      (void)session->reader_->ReadExact(std::strtoul(length.c_str(), nullptr, 10), &body);
    }
    return ApiError({answer.code, core::AsString(body)}, session->what_);
  }
  if (answer.Get("sec-websocket-accept") != WsAcceptFor(key)) {
    return core::Status(core::ErrorCode::kUnreachable,
                        session->what_ + ": the server's WebSocket accept key is wrong");
  }
  if (answer.Get("sec-websocket-protocol") != kForwardProtocol) {
    return core::Status(core::ErrorCode::kUnreachable,
                        session->what_ + ": the server chose no channel protocol we speak ('" +
                            answer.Get("sec-websocket-protocol") + "')",
                        "HASteward needs a Kubernetes API server that serves port-forward over "
                        "WebSocket (v4.channel.k8s.io)");
  }
  return session;
}

core::Status PortForwardSession::WriteFrame(WsOpcode opcode, core::ByteView payload) {
  core::Bytes frame;
  frame.reserve(payload.size() + 16);
  AppendWsFrame(opcode, payload, WsMasking::kMasked, &frame);
  // The pong of a ping the reader answers must not interleave with a data frame being sent.
  std::lock_guard lock(write_mu_);
  return stream_->WriteAll(frame);
}

core::Status PortForwardSession::Send(core::ByteView data) {
  while (!data.empty()) {
    const core::ByteView part = data.first(std::min(data.size(), kForwardSendFrame));
    core::Bytes message;
    message.reserve(part.size() + 1);
    message.push_back(kForwardDataChannel);
    message.insert(message.end(), part.begin(), part.end());
    HS_TRY(WriteFrame(WsOpcode::kBinary, message).Wrap(what_));
    data = data.subspan(part.size());
  }
  return core::Status::Ok();
}

void PortForwardSession::Close() {
  stream_->Shutdown();
}

// One channel message: the port prefix first on each channel, then data or error text.
core::Status PortForwardSession::Accept(core::Bytes payload) {
  const uint8_t channel = payload[0];
  if (channel != kForwardDataChannel && channel != kForwardErrorChannel) {
    return {core::ErrorCode::kUnreachable,
            what_ + ": the server sent on unknown channel " + std::to_string(channel)};
  }
  size_t start = 1;
  if (!port_seen_.at(channel)) {
    if (payload.size() < 3) {
      return {core::ErrorCode::kUnreachable, what_ + ": the server's first message on channel " +
                                                 std::to_string(channel) +
                                                 " lacks the port number"};
    }
    const int port = payload[1] | (payload[2] << 8);
    if (port != target_.port) {
      return {core::ErrorCode::kUnreachable,
              what_ + ": the server answered for port " + std::to_string(port)};
    }
    port_seen_.at(channel) = true;
    start = 3;
  }
  if (channel == kForwardErrorChannel) {
    error_.append(payload.begin() + static_cast<ptrdiff_t>(start), payload.end());
  } else if (start < payload.size()) {
    data_ = std::move(payload);
    data_pos_ = start;
  }
  return core::Status::Ok();
}

core::Status PortForwardSession::ReceiveMessage() {
  core::Bytes message;
  for (;;) {
    auto frame = ReadWsFrame(*reader_, kForwardMaxMessage);
    if (!frame.ok() || frame->opcode == WsOpcode::kClose) {
      done_ = true;  // a cut connection ends the stream like a close; the peer protocol decides
      return core::Status::Ok();
    }
    if (frame->opcode == WsOpcode::kPing) {
      HS_TRY(WriteFrame(WsOpcode::kPong, frame->payload));
      continue;
    }
    if (frame->opcode == WsOpcode::kPong) {
      continue;
    }
    if (message.empty() && frame->final) {
      message = std::move(frame->payload);  // one frame is the whole message: no copy
      break;
    }
    if (message.size() + frame->payload.size() > kForwardMaxMessage) {
      return {core::ErrorCode::kUnreachable, what_ + ": a message exceeds the limit"};
    }
    message.insert(message.end(), frame->payload.begin(), frame->payload.end());
    if (frame->final) {
      break;
    }
  }
  if (message.empty()) {
    return core::Status::Ok();
  }
  return Accept(std::move(message));
}

core::Status PortForwardSession::AwaitData() {
  while (data_pos_ >= data_.size() && error_.empty() && !done_) {
    HS_TRY(ReceiveMessage());
  }
  return core::Status::Ok();
}

core::Result<size_t> PortForwardSession::Receive(std::span<uint8_t> buf) {
  HS_ASSIGN_OR_RETURN(core::ByteView pending, ReceiveView());
  const size_t take = std::min(buf.size(), pending.size());
  std::memcpy(buf.data(), pending.data(), take);
  data_pos_ -= pending.size() - take;  // what did not fit stays for the next call
  return take;
}

core::Result<core::ByteView> PortForwardSession::ReceiveView() {
  HS_TRY(AwaitData());
  if (data_pos_ < data_.size()) {
    const core::ByteView pending = core::ByteView(data_).subspan(data_pos_);
    data_pos_ = data_.size();
    return pending;
  }
  if (!error_.empty()) {
    return core::Status(core::ErrorCode::kUnreachable, what_ + ": " + error_,
                        PortForwardHint(target_));
  }
  return core::ByteView{};  // the session ended
}

}  // namespace hasteward::platform::kubernetes
