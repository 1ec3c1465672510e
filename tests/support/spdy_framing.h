// SPDY/3.1 framing for the fake Kubernetes API server's exec, as kubectl up to 1.29 speaks it
// (moby/spdystream under k8s.io/apimachinery httpstream/spdy): control and data frames, and the
// zlib-compressed name/value header blocks of SYN_STREAM / SYN_REPLY. Only what a server side of
// exec needs; no flow control (spdystream neither sends nor honours WINDOW_UPDATE).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "platform/kubernetes/net_stream.h"

namespace hasteward::testing {

// `value` as 4 big-endian bytes appended to `out` (SPDY's integers).
void AppendBe32(uint32_t value, core::Bytes* out);

enum class SpdyFrameType : uint16_t {
  kData = 0,  // not a control frame type: a data frame
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

inline constexpr uint8_t kSpdyFlagFin = 0x01;
inline constexpr uint16_t kSpdyVersion = 3;

// One frame off the wire. For data frames `stream_id` is the frame's; for control frames it is 0
// and `payload` holds everything after the 8-byte header (a SYN_STREAM's stream id included).
struct SpdyFrame {
  SpdyFrameType type = SpdyFrameType::kData;
  uint8_t flags = 0;
  uint32_t stream_id = 0;
  core::Bytes payload;
};

// Reads one frame; an error at end of stream, on a version other than 3 or a frame over
// `max_length` bytes.
core::Result<SpdyFrame> ReadSpdyFrame(platform::kubernetes::BufferedReader& reader,
                                      size_t max_length);

// Appends a data frame (payload at most 16 MiB - 1) to `out`.
void AppendSpdyDataFrame(uint32_t stream_id, uint8_t flags, core::ByteView data, core::Bytes* out);
// Appends a control frame whose body (after the 8-byte header) is `body`.
void AppendSpdyControlFrame(SpdyFrameType type, uint8_t flags, core::ByteView body,
                            core::Bytes* out);

// The 31-bit id in the first four bytes of a control frame body (SYN_STREAM, SYN_REPLY,
// RST_STREAM, WINDOW_UPDATE, HEADERS); 0 when the body is shorter.
uint32_t SpdyControlStreamId(const SpdyFrame& frame);

// The preset dictionary of SPDY/3 header compression (draft-mbelshe-httpbis-spdy-00 2.6.10.1).
const core::Bytes& SpdyHeaderDictionary();

using SpdyHeaders = std::map<std::string, std::string>;  // lower-case names

// Header blocks of one session: one zlib stream per direction, kept across frames as SPDY/3
// requires. Not thread-safe: one reader thread decodes, writers encode under their own lock.
class SpdyHeaderCodec {
 public:
  SpdyHeaderCodec();
  ~SpdyHeaderCodec();
  SpdyHeaderCodec(const SpdyHeaderCodec&) = delete;
  SpdyHeaderCodec& operator=(const SpdyHeaderCodec&) = delete;

  // Decompresses and parses one name/value block; kInternal on corrupt input.
  core::Result<SpdyHeaders> Decode(core::ByteView block);
  // Serializes and compresses one block (ending in a zlib sync flush).
  core::Bytes Encode(const SpdyHeaders& headers);

 private:
  struct Zlib;
  std::unique_ptr<Zlib> zlib_;
};

}  // namespace hasteward::testing
