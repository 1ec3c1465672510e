// Pod port-forward over SPDY/3.1 (portforward.k8s.io), as the kubelet serves it behind a real
// kube-apiserver: kubectl before 1.30 upgrades to SPDY itself, and newer kubectl tunnels SPDY in
// a WebSocket that the API server unwraps before it reaches the node. Per forwarded connection the
// client opens two streams, `streamtype: error` and `streamtype: data`, with the same `requestid`
// and the `port`; the kubelet dials the port and relays the data stream, and a failed dial is
// text on the error stream (k8s.io/kubelet pkg/cri/streaming/portforward/httpstream.go).
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "support/fake_kube_portforward.h"
#include "support/spdy_framing.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;

constexpr size_t kMaxSpdyForwardFrame = 16 << 20;
constexpr size_t kSpdySynStreamPrefix = 10;  // stream id, associated stream id, priority, slot
constexpr size_t kSpdyForwardRelayBuffer = 256 << 10;
constexpr std::chrono::milliseconds kSpdyForwardDialTimeout{5000};

// One forwarded connection: its two streams and, once both are open, the pod's socket.
struct SpdyForward {
  uint32_t data_stream = 0;
  uint32_t error_stream = 0;
  int port = 0;
  std::unique_ptr<k8s::NetStream> pod;
  std::thread relay;
};

class SpdyForwardSession {
 public:
  SpdyForwardSession(k8s::NetStream& stream, k8s::BufferedReader& reader,
                     const FakePortForwardRequest& request)
      : stream_(stream), reader_(reader), request_(request) {}

  ~SpdyForwardSession() {
    for (auto& [id, forward] : forwards_) {
      if (forward->pod != nullptr) {
        forward->pod->Shutdown();
      }
      if (forward->relay.joinable()) {
        forward->relay.join();
      }
    }
  }

  void Run() {
    for (;;) {
      auto frame = ReadSpdyFrame(reader_, kMaxSpdyForwardFrame);
      if (!frame.ok() || !Handle(*frame)) {
        return;
      }
    }
  }

 private:
  bool Handle(const SpdyFrame& frame) {
    switch (frame.type) {
      case SpdyFrameType::kSynStream: return Open(frame);
      case SpdyFrameType::kData: {
        SpdyForward* forward = ByDataStream(frame.stream_id);
        if (forward != nullptr && forward->pod != nullptr) {
          if (!frame.payload.empty()) {
            (void)forward->pod->WriteAll(frame.payload);
          }
        }
        return true;
      }
      case SpdyFrameType::kPing: {
        core::Bytes pong;
        AppendSpdyControlFrame(SpdyFrameType::kPing, 0, frame.payload, &pong);
        return Write(pong);
      }
      case SpdyFrameType::kGoAway: return false;
      default: return true;  // RST_STREAM, SETTINGS, WINDOW_UPDATE: nothing to do here
    }
  }

  // SYN_STREAM: accept it, and once a request has both streams dial the port and relay.
  bool Open(const SpdyFrame& frame) {
    const uint32_t id = SpdyControlStreamId(frame);
    if (frame.payload.size() < kSpdySynStreamPrefix || id == 0) {
      return false;
    }
    auto headers = decoder_.Decode(std::span(frame.payload).subspan(kSpdySynStreamPrefix));
    if (!headers.ok()) {
      return false;
    }
    core::Bytes body;
    AppendBe32(id, &body);
    {
      std::lock_guard lock(write_mu_);
      core::Bytes block = encoder_.Encode({});
      body.insert(body.end(), block.begin(), block.end());
      core::Bytes reply;
      AppendSpdyControlFrame(SpdyFrameType::kSynReply, 0, body, &reply);
      if (!stream_.WriteAll(reply).ok()) {
        return false;
      }
    }
    auto& forward = forwards_[(*headers)["requestid"]];
    if (forward == nullptr) {
      forward = std::make_unique<SpdyForward>();
    }
    forward->port = std::atoi((*headers)["port"].c_str());
    ((*headers)["streamtype"] == "data" ? forward->data_stream : forward->error_stream) = id;
    if (forward->data_stream != 0 && forward->error_stream != 0 && forward->pod == nullptr) {
      Dial(*forward);
    }
    return true;
  }

  void Dial(SpdyForward& forward) {
    auto pod = k8s::NetStream::Connect(request_.pod_ip, request_.Dialled(forward.port), nullptr,
                                       kSpdyForwardDialTimeout);
    if (!pod.ok()) {
      // The kubelet's wording: the port, the pod, then the dial error.
      SendData(forward.error_stream, kSpdyFlagFin,
               core::AsBytes("error forwarding port " + std::to_string(forward.port) + " to pod " +
                             request_.pod + ", uid : " + pod.status().message()));
      SendData(forward.data_stream, kSpdyFlagFin, {});
      return;
    }
    forward.pod = std::move(*pod);
    forward.relay = std::thread([this, &forward] { RelayPodToClient(forward); });
  }

  void RelayPodToClient(SpdyForward& forward) {
    core::Bytes buffer(kSpdyForwardRelayBuffer);
    for (;;) {
      auto got = forward.pod->ReadSome(buffer);
      if (!got.ok() || *got == 0 ||
          !SendData(forward.data_stream, 0, std::span(buffer).first(*got))) {
        break;
      }
    }
    SendData(forward.data_stream, kSpdyFlagFin, {});
    SendData(forward.error_stream, kSpdyFlagFin, {});
  }

  SpdyForward* ByDataStream(uint32_t id) {
    for (auto& [request_id, forward] : forwards_) {
      if (forward->data_stream == id) {
        return forward.get();
      }
    }
    return nullptr;
  }

  bool SendData(uint32_t stream_id, uint8_t flags, core::ByteView data) {
    core::Bytes frame;
    frame.reserve(data.size() + 8);
    AppendSpdyDataFrame(stream_id, flags, data, &frame);
    return Write(frame);
  }

  bool Write(core::ByteView bytes) {
    std::lock_guard lock(write_mu_);
    return stream_.WriteAll(bytes).ok();
  }

  k8s::NetStream& stream_;
  k8s::BufferedReader& reader_;
  const FakePortForwardRequest& request_;
  SpdyHeaderCodec decoder_;  // the client-to-server zlib stream (the reading thread only)
  SpdyHeaderCodec encoder_;  // the server-to-client zlib stream (under write_mu_)
  std::mutex write_mu_;
  std::map<std::string, std::unique_ptr<SpdyForward>> forwards_;  // by requestid
};

}  // namespace

void RunFakeSpdyPortForwardSession(k8s::NetStream& stream, k8s::BufferedReader& reader,
                                   const FakePortForwardRequest& request) {
  SpdyForwardSession session(stream, reader, request);
  session.Run();
  stream.Shutdown();
}

}  // namespace hasteward::testing
