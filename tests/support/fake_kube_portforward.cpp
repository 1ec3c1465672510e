#include "support/fake_kube_portforward.h"

#include <mutex>
#include <thread>

#include "platform/kubernetes/websocket.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;

constexpr uint8_t kFakeForwardData = 0;
constexpr uint8_t kFakeForwardError = 1;
constexpr size_t kFakeForwardRelayBuffer = 256 << 10;
constexpr std::chrono::milliseconds kFakeForwardDialTimeout{5000};

class FakeForwardFrameWriter {
 public:
  explicit FakeForwardFrameWriter(k8s::NetStream& stream) : stream_(stream) {}
  bool Send(uint8_t channel, core::ByteView data) {
    core::Bytes message;
    message.reserve(data.size() + 1);
    message.push_back(channel);
    message.insert(message.end(), data.begin(), data.end());
    return Frame(k8s::WsOpcode::kBinary, message);
  }
  bool Frame(k8s::WsOpcode opcode, core::ByteView payload) {
    core::Bytes frame;
    frame.reserve(payload.size() + 16);
    k8s::AppendWsFrame(opcode, payload, k8s::WsMasking::kNone, &frame);
    std::lock_guard lock(mu_);
    return stream_.WriteAll(frame).ok();
  }
  void Close() {
    const uint8_t normal_closure[] = {0x03, 0xE8};  // 1000
    Frame(k8s::WsOpcode::kClose, normal_closure);
  }

 private:
  k8s::NetStream& stream_;
  std::mutex mu_;
};

// Client to pod: data messages of channel 0 go to the pod's port until the client leaves.
void FakeForwardClientToPod(FakeForwardFrameWriter& writer, k8s::BufferedReader& reader,
                            k8s::NetStream& pod) {
  const k8s::WsReply reply = [&writer](k8s::WsOpcode opcode, core::ByteView payload) {
    return writer.Frame(opcode, payload) ? core::Status::Ok()
                                         : core::Status(core::ErrorCode::kUnreachable, "closed");
  };
  for (;;) {
    auto message = k8s::ReadWsMessage(reader, reply, 64 << 20);
    if (!message.ok() || message->opcode == k8s::WsOpcode::kClose) {
      break;
    }
    const core::Bytes& payload = message->payload;
    if (payload.size() > 1 && payload[0] == kFakeForwardData &&
        !pod.WriteAll(std::span(payload).subspan(1)).ok()) {
      break;
    }
  }
  pod.Shutdown();
}

}  // namespace

void RunFakePortForwardSession(k8s::NetStream& stream, k8s::BufferedReader& reader,
                               const FakePortForwardRequest& request) {
  FakeForwardFrameWriter writer(stream);
  const int announced = request.wrong_port_prefix ? request.port + 1 : request.port;
  const uint8_t port_bytes[] = {static_cast<uint8_t>(announced & 0xFF),
                                static_cast<uint8_t>(announced >> 8)};
  if (!writer.Send(kFakeForwardData, port_bytes) || !writer.Send(kFakeForwardError, port_bytes)) {
    return;
  }
  auto pod = k8s::NetStream::Connect(request.pod_ip, request.Dialled(request.port), nullptr,
                                     kFakeForwardDialTimeout);
  if (!pod.ok()) {
    // The kubelet's wording: the port, the pod, then the dial error.
    writer.Send(kFakeForwardError,
                core::AsBytes("error forwarding port " + std::to_string(request.port) + " to pod " +
                              request.pod + ", uid : " + pod.status().message()));
    writer.Close();
    stream.Shutdown();
    return;
  }
  std::thread upstream([&] { FakeForwardClientToPod(writer, reader, **pod); });
  core::Bytes buffer(kFakeForwardRelayBuffer);
  for (;;) {
    auto got = (*pod)->ReadSome(buffer);
    if (!got.ok() || *got == 0 || !writer.Send(kFakeForwardData, std::span(buffer).first(*got))) {
      break;
    }
  }
  writer.Close();
  stream.Shutdown();
  (*pod)->Shutdown();
  upstream.join();
}

}  // namespace hasteward::testing
