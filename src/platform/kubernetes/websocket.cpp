#include "platform/kubernetes/websocket.h"

#include <array>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace hasteward::platform::kubernetes {
namespace {

constexpr uint8_t kFinalBit = 0x80;
constexpr uint8_t kMaskBit = 0x80;
constexpr size_t kMaskSize = 4;

std::string Base64(const uint8_t* data, size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(written));
  return out;
}

// XORs the payload with the 4-byte key, 8 bytes at a time (exec streams carry gigabytes).
void ApplyMask(const std::array<uint8_t, kMaskSize>& mask, uint8_t* data, size_t size) {
  uint64_t wide = 0;
  std::memcpy(&wide, mask.data(), kMaskSize);
  std::memcpy(reinterpret_cast<uint8_t*>(&wide) + kMaskSize, mask.data(), kMaskSize);
  size_t index = 0;
  for (; index + sizeof(wide) <= size; index += sizeof(wide)) {
    uint64_t word = 0;
    std::memcpy(&word, data + index, sizeof(word));  // NOLINT(*-pointer-arithmetic): byte buffer
    word ^= wide;
    std::memcpy(data + index, &word, sizeof(word));  // NOLINT(*-pointer-arithmetic): byte buffer
  }
  for (; index < size; ++index) {
    data[index] ^= mask[index % kMaskSize];  // NOLINT(*-pointer-arithmetic): byte loop
  }
}

}  // namespace

void AppendWsFrame(WsOpcode opcode, core::ByteView payload, WsMasking masking, core::Bytes* out) {
  const uint8_t mask_bit = masking == WsMasking::kMasked ? kMaskBit : 0;
  out->push_back(kFinalBit | static_cast<uint8_t>(opcode));
  if (payload.size() < 126) {
    out->push_back(mask_bit | static_cast<uint8_t>(payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    out->push_back(mask_bit | 126);
    out->push_back(static_cast<uint8_t>(payload.size() >> 8));
    out->push_back(static_cast<uint8_t>(payload.size()));
  } else {
    out->push_back(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out->push_back(static_cast<uint8_t>(static_cast<uint64_t>(payload.size()) >> shift));
    }
  }
  size_t start = out->size();
  if (masking == WsMasking::kNone) {
    out->insert(out->end(), payload.begin(), payload.end());
    return;
  }
  std::array<uint8_t, kMaskSize> mask{};
  RAND_bytes(mask.data(), static_cast<int>(mask.size()));
  out->insert(out->end(), mask.begin(), mask.end());
  start += kMaskSize;
  out->insert(out->end(), payload.begin(), payload.end());
  ApplyMask(mask, out->data() + start, payload.size());
}

core::Result<WsFrame> ReadWsFrame(BufferedReader& reader, size_t max_payload) {
  core::Bytes head;
  HS_TRY(reader.ReadExact(2, &head));
  WsFrame frame;
  frame.final = (head[0] & kFinalBit) != 0;
  frame.opcode = static_cast<WsOpcode>(head[0] & 0x0F);
  const bool masked = (head[1] & kMaskBit) != 0;
  uint64_t size = head[1] & 0x7F;
  if (size >= 126) {
    const size_t extended = size == 126 ? 2 : 8;
    core::Bytes length;
    HS_TRY(reader.ReadExact(extended, &length));
    size = 0;
    for (uint8_t byte : length) {
      size = (size << 8) | byte;
    }
  }
  if (size > max_payload) {
    return core::Status(core::ErrorCode::kUnreachable,
                        "websocket frame of " + std::to_string(size) + " bytes exceeds the " +
                            std::to_string(max_payload) + "-byte limit");
  }
  std::array<uint8_t, kMaskSize> mask{};
  if (masked) {
    core::Bytes key;
    HS_TRY(reader.ReadExact(kMaskSize, &key));
    std::memcpy(mask.data(), key.data(), kMaskSize);
  }
  HS_TRY(reader.ReadExact(static_cast<size_t>(size), &frame.payload));
  if (masked) {
    ApplyMask(mask, frame.payload.data(), frame.payload.size());
  }
  return frame;
}

core::Result<WsFrame> ReadWsMessage(BufferedReader& reader, const WsReply& reply,
                                    size_t max_payload) {
  WsFrame message;
  bool started = false;
  for (;;) {
    HS_ASSIGN_OR_RETURN(WsFrame frame, ReadWsFrame(reader, max_payload));
    if (frame.opcode == WsOpcode::kPing) {
      HS_TRY(reply(WsOpcode::kPong, frame.payload));
      continue;
    }
    if (frame.opcode == WsOpcode::kPong) {
      continue;
    }
    if (frame.opcode == WsOpcode::kClose) {
      return frame;
    }
    if (!started && frame.final) {
      return frame;  // the usual case: one frame is the whole message
    }
    if (!started) {
      message.opcode = frame.opcode;
      started = true;
    }
    if (message.payload.size() + frame.payload.size() > max_payload) {
      return core::Status(core::ErrorCode::kUnreachable, "websocket message exceeds the limit");
    }
    message.payload.insert(message.payload.end(), frame.payload.begin(), frame.payload.end());
    if (frame.final) {
      return message;
    }
  }
}

std::string NewWsKey() {
  std::array<uint8_t, 16> random{};
  RAND_bytes(random.data(), static_cast<int>(random.size()));
  return Base64(random.data(), random.size());
}

std::string WsAcceptFor(const std::string& key) {
  const std::string joined = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<uint8_t, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest.data());
  return Base64(digest.data(), digest.size());
}

}  // namespace hasteward::platform::kubernetes
