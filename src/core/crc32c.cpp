#include "core/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace hasteward::core {

namespace {

constexpr uint32_t kReflectedPolynomial = 0x82F63B78;

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1U) != 0 ? (crc >> 1U) ^ kReflectedPolynomial : crc >> 1U;
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

// The register value between the pre- and post-inversion that CRC-32C defines.
uint32_t ExtendBytewise(uint32_t state, const uint8_t* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    state = kTable[(state ^ data[i]) & 0xFFU] ^ (state >> 8U);
  }
  return state;
}

#if defined(__x86_64__)
// Eight bytes per instruction: a 1 GiB relation segment takes ~0.1 s instead of ~1.5 s bytewise,
// which is what lets a restore check the manifest while writing instead of re-reading the tree.
__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t state, const uint8_t* data,
                                                          size_t size) {
  uint64_t wide = state;
  while (size >= 8) {
    uint64_t word = 0;
    std::memcpy(&word, data, sizeof word);
    wide = _mm_crc32_u64(wide, word);
    data += 8;
    size -= 8;
  }
  auto narrow = static_cast<uint32_t>(wide);
  while (size > 0) {
    narrow = _mm_crc32_u8(narrow, *data);
    ++data;
    --size;
  }
  return narrow;
}

bool HasHardwareCrc() {
  static const bool kHas = __builtin_cpu_supports("sse4.2") != 0;
  return kHas;
}
#endif

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, ByteView data) {
  uint32_t state = ~crc;
#if defined(__x86_64__)
  if (HasHardwareCrc()) {
    return ~ExtendHardware(state, data.data(), data.size());
  }
#endif
  return ~ExtendBytewise(state, data.data(), data.size());
}

}  // namespace hasteward::core
