// Pod exec of the test kubelet (KubeletAgent) over SPDY/3.1, the transport of kubectl before 1.30
// (see fake_kube_exec.h): the streams the client opens are mapped to the WebSocket channel numbers
// so RunFakeExecProcess serves both transports.
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/fake_kube_exec.h"
#include "support/spdy_framing.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;

constexpr size_t kMaxClientFrame = 16 << 20;
constexpr size_t kSynStreamPrefix = 10;  // stream id, associated stream id, priority, slot

std::optional<uint8_t> ChannelOfStreamType(const std::string& type) {
  static const std::map<std::string, uint8_t> kChannels = {{"stdin", kFakeExecStdin},
                                                           {"stdout", kFakeExecStdout},
                                                           {"stderr", kFakeExecStderr},
                                                           {"error", kFakeExecStatus},
                                                           {"resize", kFakeExecResize}};
  auto it = kChannels.find(type);
  return it == kChannels.end() ? std::nullopt : std::optional<uint8_t>(it->second);
}

class SpdyTransport : public FakeExecTransport {
 public:
  using StdinSink = std::function<void(core::ByteView)>;
  using StdinEnd = std::function<void()>;

  SpdyTransport(k8s::NetStream& stream, k8s::BufferedReader& reader)
      : stream_(stream), reader_(reader) {}

  // Answers frames until every channel in `wanted` has a stream; stdin that arrives meanwhile is
  // kept for ReadClient. False when the client left or spoke something else than SPDY/3.
  bool AwaitStreams(const std::vector<uint8_t>& wanted) {
    const StdinSink keep = [this](core::ByteView data) {
      early_stdin_.insert(early_stdin_.end(), data.begin(), data.end());
    };
    const StdinEnd keep_end = [this] {
      early_stdin_end_ = true;
    };
    for (;;) {
      bool complete = true;
      {
        std::lock_guard lock(write_mu_);
        for (uint8_t channel : wanted) {
          complete = complete && streams_.count(channel) != 0;
        }
      }
      if (complete) {
        return true;
      }
      auto frame = ReadSpdyFrame(reader_, kMaxClientFrame);
      if (!frame.ok() || !Handle(*frame, keep, keep_end)) {
        return false;
      }
    }
  }

  bool Send(uint8_t channel, core::ByteView data) override { return SendData(channel, 0, data); }

  void EndChannel(uint8_t channel) override { (void)SendData(channel, kSpdyFlagFin, {}); }

  void ReadClient(const StdinSink& on_stdin, const StdinEnd& on_stdin_end) override {
    if (!early_stdin_.empty()) {
      on_stdin(early_stdin_);
    }
    if (early_stdin_end_) {
      on_stdin_end();
    }
    for (;;) {
      auto frame = ReadSpdyFrame(reader_, kMaxClientFrame);
      if (!frame.ok() || !Handle(*frame, on_stdin, on_stdin_end)) {
        return;
      }
    }
  }

  void Close() override {
    core::Bytes body;
    {
      std::lock_guard lock(write_mu_);
      AppendBe32(last_stream_id_, &body);
    }
    AppendBe32(0, &body);  // status OK
    core::Bytes frame;
    AppendSpdyControlFrame(SpdyFrameType::kGoAway, 0, body, &frame);
    std::lock_guard lock(write_mu_);
    (void)stream_.WriteAll(frame);
  }

 private:
  // One client frame; false when the client ends the session (GOAWAY) or breaks the protocol.
  bool Handle(const SpdyFrame& frame, const StdinSink& on_stdin, const StdinEnd& on_stdin_end) {
    switch (frame.type) {
      case SpdyFrameType::kData:
        if (IsStdin(frame.stream_id)) {
          if (!frame.payload.empty()) {
            on_stdin(frame.payload);
          }
          if ((frame.flags & kSpdyFlagFin) != 0) {
            on_stdin_end();
          }
        }
        return true;
      case SpdyFrameType::kSynStream: return OpenStream(frame, on_stdin_end);
      case SpdyFrameType::kRstStream:
        if (IsStdin(SpdyControlStreamId(frame))) {
          on_stdin_end();
        }
        return true;
      case SpdyFrameType::kPing: {  // answered with the same id, as spdystream does
        core::Bytes pong;
        AppendSpdyControlFrame(SpdyFrameType::kPing, 0, frame.payload, &pong);
        std::lock_guard lock(write_mu_);
        return stream_.WriteAll(pong).ok();
      }
      case SpdyFrameType::kGoAway: return false;
      default:  // SETTINGS, WINDOW_UPDATE, HEADERS: no flow control here, as in spdystream
        return true;
    }
  }

  // SYN_STREAM: records which channel the stream carries and accepts it with a SYN_REPLY.
  bool OpenStream(const SpdyFrame& frame, const StdinEnd& on_stdin_end) {
    const uint32_t id = SpdyControlStreamId(frame);
    if (frame.payload.size() < kSynStreamPrefix || id == 0) {
      return false;
    }
    auto headers = decoder_.Decode(std::span(frame.payload).subspan(kSynStreamPrefix));
    if (!headers.ok()) {
      return false;
    }
    std::optional<uint8_t> channel = ChannelOfStreamType((*headers)["streamtype"]);
    std::lock_guard lock(write_mu_);
    if (channel) {
      streams_[*channel] = id;
    }
    last_stream_id_ = std::max(last_stream_id_, id);
    core::Bytes body;
    AppendBe32(id, &body);
    core::Bytes block = encoder_.Encode({});  // under write_mu_: blocks go out in zlib order
    body.insert(body.end(), block.begin(), block.end());
    core::Bytes reply;
    AppendSpdyControlFrame(SpdyFrameType::kSynReply, 0, body, &reply);
    const bool written = stream_.WriteAll(reply).ok();
    if (channel == kFakeExecStdin && (frame.flags & kSpdyFlagFin) != 0) {
      on_stdin_end();
    }
    return written;
  }

  bool IsStdin(uint32_t id) {
    std::lock_guard lock(write_mu_);
    auto it = streams_.find(kFakeExecStdin);
    return it != streams_.end() && it->second == id;
  }

  // Output on a channel's stream; a channel the client did not open is dropped (true).
  bool SendData(uint8_t channel, uint8_t flags, core::ByteView data) {
    std::lock_guard lock(write_mu_);
    auto it = streams_.find(channel);
    if (it == streams_.end()) {
      return true;
    }
    core::Bytes frame;
    frame.reserve(data.size() + 8);
    AppendSpdyDataFrame(it->second, flags, data, &frame);
    return stream_.WriteAll(frame).ok();
  }

  k8s::NetStream& stream_;
  k8s::BufferedReader& reader_;
  SpdyHeaderCodec decoder_;  // the client-to-server zlib stream (reader thread only)
  SpdyHeaderCodec encoder_;  // the server-to-client zlib stream (under write_mu_)
  std::mutex write_mu_;      // the socket's write side, streams_, last_stream_id_, encoder_
  std::map<uint8_t, uint32_t> streams_;  // channel -> stream id
  uint32_t last_stream_id_ = 0;
  core::Bytes early_stdin_;
  bool early_stdin_end_ = false;
};

}  // namespace

void RunFakeSpdyExecSession(k8s::NetStream& stream, k8s::BufferedReader& reader,
                            const FakeExecRequest& request, const FakePodProcess& process,
                            FakeExecFault fault) {
  SpdyTransport transport(stream, reader);
  std::vector<uint8_t> wanted = {kFakeExecStatus};
  for (auto [asked, channel] :
       {std::pair{request.stdin, kFakeExecStdin}, std::pair{request.stdout, kFakeExecStdout},
        std::pair{request.stderr, kFakeExecStderr}}) {
    if (asked) {
      wanted.push_back(channel);
    }
  }
  if (!transport.AwaitStreams(wanted)) {
    stream.Shutdown();
    return;
  }
  RunFakeExecProcess(transport, stream, request, process, fault);
}

}  // namespace hasteward::testing
