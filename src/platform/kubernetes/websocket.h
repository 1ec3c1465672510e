// RFC 6455 WebSocket framing, the transport of the Kubernetes exec channel protocol. Shared by the
// client's pod exec and the fake API server of the tests; the real clients of the fidelity tests
// (python3-kubernetes, kubectl) check the framing independently.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "platform/kubernetes/net_stream.h"

namespace hasteward::platform::kubernetes {

enum class WsOpcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10,
};

struct WsFrame {
  bool final = true;
  WsOpcode opcode = WsOpcode::kBinary;
  core::Bytes payload;  // unmasked
};

enum class WsMasking { kNone, kMasked };  // clients mask every frame, servers never do

// Appends one frame (header, masking key when masked, payload) to `out`.
void AppendWsFrame(WsOpcode opcode, core::ByteView payload, WsMasking masking, core::Bytes* out);

// Reads one frame; a payload above `max_payload` is an error (a peer cannot make us buffer more).
core::Result<WsFrame> ReadWsFrame(BufferedReader& reader, size_t max_payload);

// Sends one frame to the peer, masked as the caller's side must, serialised with the caller's
// other writers (a pong must not land inside a data frame another thread is writing).
using WsReply = std::function<core::Status(WsOpcode opcode, core::ByteView payload)>;

// Reads frames until a complete message (fragments joined; a message of one frame is handed on
// without a copy); pings are answered with pongs through `reply`, pongs are dropped. A close frame
// is returned as such.
core::Result<WsFrame> ReadWsMessage(BufferedReader& reader, const WsReply& reply,
                                    size_t max_payload);

// A fresh random Sec-WebSocket-Key (base64 of 16 random bytes).
std::string NewWsKey();
// The Sec-WebSocket-Accept value the server must answer for `key`.
std::string WsAcceptFor(const std::string& key);

}  // namespace hasteward::platform::kubernetes
