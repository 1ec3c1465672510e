#include "repo/crypto/scrypt.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include <openssl/evp.h>

namespace hasteward::repo {

namespace {

inline uint32_t Rotl(uint32_t v, int c) {
  return (v << c) | (v >> (32 - c));
}

inline uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

inline void StoreLe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

// Salsa20/8 core on one 64-byte block, in place (words in host order).
void Salsa208(uint32_t b[16]) {
  uint32_t x[16];
  std::memcpy(x, b, sizeof(x));
  for (int i = 0; i < 8; i += 2) {
    x[4] ^= Rotl(x[0] + x[12], 7);
    x[8] ^= Rotl(x[4] + x[0], 9);
    x[12] ^= Rotl(x[8] + x[4], 13);
    x[0] ^= Rotl(x[12] + x[8], 18);
    x[9] ^= Rotl(x[5] + x[1], 7);
    x[13] ^= Rotl(x[9] + x[5], 9);
    x[1] ^= Rotl(x[13] + x[9], 13);
    x[5] ^= Rotl(x[1] + x[13], 18);
    x[14] ^= Rotl(x[10] + x[6], 7);
    x[2] ^= Rotl(x[14] + x[10], 9);
    x[6] ^= Rotl(x[2] + x[14], 13);
    x[10] ^= Rotl(x[6] + x[2], 18);
    x[3] ^= Rotl(x[15] + x[11], 7);
    x[7] ^= Rotl(x[3] + x[15], 9);
    x[11] ^= Rotl(x[7] + x[3], 13);
    x[15] ^= Rotl(x[11] + x[7], 18);
    x[1] ^= Rotl(x[0] + x[3], 7);
    x[2] ^= Rotl(x[1] + x[0], 9);
    x[3] ^= Rotl(x[2] + x[1], 13);
    x[0] ^= Rotl(x[3] + x[2], 18);
    x[6] ^= Rotl(x[5] + x[4], 7);
    x[7] ^= Rotl(x[6] + x[5], 9);
    x[4] ^= Rotl(x[7] + x[6], 13);
    x[5] ^= Rotl(x[4] + x[7], 18);
    x[11] ^= Rotl(x[10] + x[9], 7);
    x[8] ^= Rotl(x[11] + x[10], 9);
    x[9] ^= Rotl(x[8] + x[11], 13);
    x[10] ^= Rotl(x[9] + x[8], 18);
    x[12] ^= Rotl(x[15] + x[14], 7);
    x[13] ^= Rotl(x[12] + x[15], 9);
    x[14] ^= Rotl(x[13] + x[12], 13);
    x[15] ^= Rotl(x[14] + x[13], 18);
  }
  for (int i = 0; i < 16; ++i)
    b[i] += x[i];
}

// BlockMix_{Salsa20/8, r}: `in` and `out` hold 2r blocks of 16 words; they must not overlap.
void BlockMix(const uint32_t* in, uint32_t* out, uint32_t r) {
  uint32_t x[16];
  std::memcpy(x, in + (size_t{2} * r - 1) * 16, sizeof(x));
  for (uint32_t i = 0; i < 2 * r; ++i) {
    for (int w = 0; w < 16; ++w)
      x[w] ^= in[i * 16 + w];
    Salsa208(x);
    // Even blocks go to the first half of the output, odd ones to the second.
    uint32_t dest = (i % 2 == 0) ? i / 2 : r + i / 2;
    std::memcpy(out + size_t{dest} * 16, x, sizeof(x));
  }
}

// ROMix on one lane of 128*r bytes, in place. `v` has room for N * 32 * r words.
void RoMix(uint8_t* lane, uint64_t n, uint32_t r, uint32_t* v) {
  const size_t words = 32 * static_cast<size_t>(r);
  std::vector<uint32_t> x(words), y(words);
  for (size_t w = 0; w < words; ++w)
    x[w] = LoadLe32(lane + 4 * w);
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(v + i * words, x.data(), words * 4);
    BlockMix(x.data(), y.data(), r);
    x.swap(y);
  }
  for (uint64_t i = 0; i < n; ++i) {
    // Integerify: the first 64 bits of the last block, little-endian; N is a power of two.
    uint64_t j = ((static_cast<uint64_t>(x[words - 15]) << 32) | x[words - 16]) & (n - 1);
    const uint32_t* vj = v + j * words;
    for (size_t w = 0; w < words; ++w)
      x[w] ^= vj[w];
    BlockMix(x.data(), y.data(), r);
    x.swap(y);
  }
  for (size_t w = 0; w < words; ++w)
    StoreLe32(lane + 4 * w, x[w]);
}

}  // namespace

// Nine parameters: RFC 7914's (password, salt, N, r, p, DK, dkLen) plus two limits.
// NOLINTNEXTLINE(readability-function-size): the RFC's parameter list, see above
core::Status Scrypt(const std::string& password, core::ByteView salt, uint64_t n, uint32_t r,
                    uint32_t p, uint8_t* out, size_t out_len, int threads, uint64_t max_memory) {
  if (n < 2 || (n & (n - 1)) != 0 || r == 0 || p == 0 || n > (1ULL << 40) / (128ULL * r)) {
    return core::Usage("invalid scrypt parameters N=" + std::to_string(n) +
                       " r=" + std::to_string(r) + " p=" + std::to_string(p));
  }
  const uint64_t lane_bytes = 128ULL * r;
  const uint64_t v_bytes = lane_bytes * n;
  if (v_bytes > max_memory) {
    return core::Usage("scrypt parameters need " + std::to_string(v_bytes >> 20) +
                       " MiB, more than the allowed " + std::to_string(max_memory >> 20) + " MiB");
  }
  std::vector<uint8_t> b(lane_bytes * p);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), 1, EVP_sha256(), static_cast<int>(b.size()),
                        b.data()) != 1)
    return core::Internal("PBKDF2-HMAC-SHA256 failed in scrypt");

  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  uint64_t t = threads > 0 ? static_cast<uint64_t>(threads) : cores;
  t = std::min<uint64_t>({t, p, std::max<uint64_t>(1, max_memory / v_bytes)});
  std::atomic<uint32_t> next{0};
  auto work = [&] {
    std::vector<uint32_t> v(v_bytes / 4);
    for (uint32_t lane = next++; lane < p; lane = next++)
      RoMix(b.data() + lane * lane_bytes, n, r, v.data());
  };
  std::vector<std::thread> pool;
  for (uint64_t i = 1; i < t; ++i)
    pool.emplace_back(work);
  work();
  for (auto& th : pool)
    th.join();

  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), b.data(),
                        static_cast<int>(b.size()), 1, EVP_sha256(), static_cast<int>(out_len),
                        out) != 1)
    return core::Internal("PBKDF2-HMAC-SHA256 failed in scrypt");
  return core::Status::Ok();
}

}  // namespace hasteward::repo
