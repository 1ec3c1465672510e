#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::repo {

// A 32-byte SHA-256 identifier of a blob, pack or file (restic-format.md §0).
using Id = std::array<uint8_t, 32>;

Id Sha256(core::ByteView data);
std::string IdToHex(const Id& id);
// Parses 64 hex chars; kUsage on anything else.
core::Result<Id> IdFromHex(const std::string& hex);

struct IdHash {
  size_t operator()(const Id& id) const noexcept {
    size_t h;
    static_assert(sizeof(h) <= sizeof(Id));
    __builtin_memcpy(&h, id.data(), sizeof(h));
    return h;
  }
};

// restic's master key: AES-256 encryption key and the Poly1305-AES MAC keys (k, r).
struct MasterKey {
  std::array<uint8_t, 32> encrypt{};
  std::array<uint8_t, 16> mac_k{};
  std::array<uint8_t, 16> mac_r{};

  static MasterKey Random();
  bool Valid() const;  // restic refuses all-zero keys
};

// Encryption overhead: 16-byte IV + 16-byte MAC (restic-format.md §3).
constexpr size_t kCryptoOverhead = 32;

// Appends IV || AES-256-CTR(plaintext) || Poly1305-AES(ciphertext) to `out`. Thread-safe.
void EncryptAppend(const MasterKey& key, core::ByteView plaintext, core::Bytes* out);
core::Bytes Encrypt(const MasterKey& key, core::ByteView plaintext);

// Verifies the MAC, then decrypts. A MAC mismatch is kCorruption ("ciphertext verification
// failed"); callers that try keys map it to kWrongPassword.
core::Status DecryptInto(const MasterKey& key, core::ByteView ciphertext, core::Bytes* out);
// The same into `out`, whose size must be the plaintext's (ciphertext minus kCryptoOverhead).
core::Status DecryptTo(const MasterKey& key, core::ByteView ciphertext, std::span<uint8_t> out);
core::Result<core::Bytes> Decrypt(const MasterKey& key, core::ByteView ciphertext);

// Fills buf with cryptographically secure random bytes.
void RandomBytes(uint8_t* buf, size_t n);

}  // namespace hasteward::repo
