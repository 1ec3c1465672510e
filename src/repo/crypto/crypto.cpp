#include "repo/crypto/crypto.h"

#include <cstring>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/hex.h"

namespace hasteward::repo {

namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;

const EVP_CIPHER* Aes256Ctr() {
  static const EVP_CIPHER* kCipher = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
  return kCipher;
}

const EVP_CIPHER* Aes128Ecb() {
  static const EVP_CIPHER* kCipher = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  return kCipher;
}

EVP_MAC* Poly1305Mac() {
  static EVP_MAC* kMac = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
  return kMac;
}

// Per-thread contexts: creating EVP contexts per blob costs more than the crypto on small blobs.
struct ThreadCtx {
  CipherCtx ctr{EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free};
  CipherCtx ecb{EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free};
  MacCtx mac{EVP_MAC_CTX_new(Poly1305Mac()), EVP_MAC_CTX_free};
};

ThreadCtx& Ctx() {
  thread_local ThreadCtx ctx;
  return ctx;
}

void AesCtr(const MasterKey& key, const uint8_t* iv, const uint8_t* in, size_t n, uint8_t* out) {
  EVP_CIPHER_CTX* c = Ctx().ctr.get();
  EVP_EncryptInit_ex2(c, Aes256Ctr(), key.encrypt.data(), iv, nullptr);
  size_t done = 0;
  while (done < n) {
    int chunk = static_cast<int>(std::min<size_t>(n - done, 1 << 30));
    int outl = 0;
    EVP_EncryptUpdate(c, out + done, &outl, in + done, chunk);
    done += static_cast<size_t>(chunk);
  }
}

// Poly1305-AES tag over the ciphertext: key = clamp(r) || AES-128_k(nonce) (restic-format.md §3).
void Mac(const MasterKey& key, const uint8_t* nonce, const uint8_t* data, size_t n, uint8_t* tag) {
  uint8_t poly_key[32];
  std::memcpy(poly_key, key.mac_r.data(), 16);
  poly_key[3] &= 0x0f;
  poly_key[7] &= 0x0f;
  poly_key[11] &= 0x0f;
  poly_key[15] &= 0x0f;
  poly_key[4] &= 0xfc;
  poly_key[8] &= 0xfc;
  poly_key[12] &= 0xfc;
  EVP_CIPHER_CTX* ecb = Ctx().ecb.get();
  EVP_EncryptInit_ex2(ecb, Aes128Ecb(), key.mac_k.data(), nullptr, nullptr);
  EVP_CIPHER_CTX_set_padding(ecb, 0);
  int outl = 0;
  EVP_EncryptUpdate(ecb, poly_key + 16, &outl, nonce, 16);
  EVP_MAC_CTX* mac = Ctx().mac.get();
  EVP_MAC_init(mac, poly_key, sizeof(poly_key), nullptr);
  size_t done = 0;
  while (done < n) {
    size_t chunk = std::min<size_t>(n - done, size_t{1} << 30);
    EVP_MAC_update(mac, data + done, chunk);
    done += chunk;
  }
  size_t taglen = 0;
  EVP_MAC_final(mac, tag, &taglen, 16);
}

}  // namespace

Id Sha256(core::ByteView data) {
  Id id;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), id.data(), &len, EVP_sha256(), nullptr);
  return id;
}

std::string IdToHex(const Id& id) {
  return core::HexEncode(id);
}

core::Result<Id> IdFromHex(const std::string& hex) {
  auto bytes = core::HexDecode(hex);
  if (hex.size() != 64 || !bytes) {
    return core::Usage("invalid id '" + hex + "'", "ids are 64 hexadecimal characters");
  }
  Id id;
  std::memcpy(id.data(), bytes->data(), 32);
  return id;
}

void RandomBytes(uint8_t* buf, size_t n) {
  if (RAND_bytes(buf, static_cast<int>(n)) != 1) {
    std::abort();  // no secure randomness: cannot continue safely
  }
}

MasterKey MasterKey::Random() {
  MasterKey k;
  RandomBytes(k.encrypt.data(), k.encrypt.size());
  RandomBytes(k.mac_k.data(), k.mac_k.size());
  RandomBytes(k.mac_r.data(), k.mac_r.size());
  // Stored clamped, as restic 0.14 does: 0.14 may use the stored r as is.
  k.mac_r[3] &= 0x0f;
  k.mac_r[7] &= 0x0f;
  k.mac_r[11] &= 0x0f;
  k.mac_r[15] &= 0x0f;
  k.mac_r[4] &= 0xfc;
  k.mac_r[8] &= 0xfc;
  k.mac_r[12] &= 0xfc;
  return k;
}

bool MasterKey::Valid() const {
  auto nonzero = [](const auto& a) {
    for (uint8_t b : a) {
      if (b != 0)
        return true;
    }
    return false;
  };
  return nonzero(encrypt) && nonzero(mac_k) && nonzero(mac_r);
}

void EncryptAppend(const MasterKey& key, core::ByteView plaintext, core::Bytes* out) {
  size_t start = out->size();
  out->resize(start + plaintext.size() + kCryptoOverhead);
  uint8_t* iv = out->data() + start;
  RandomBytes(iv, 16);
  uint8_t* ct = iv + 16;
  AesCtr(key, iv, plaintext.data(), plaintext.size(), ct);
  Mac(key, iv, ct, plaintext.size(), ct + plaintext.size());
}

core::Bytes Encrypt(const MasterKey& key, core::ByteView plaintext) {
  core::Bytes out;
  out.reserve(plaintext.size() + kCryptoOverhead);
  EncryptAppend(key, plaintext, &out);
  return out;
}

core::Status DecryptTo(const MasterKey& key, core::ByteView ciphertext, std::span<uint8_t> out) {
  if (ciphertext.size() < kCryptoOverhead) {
    return core::Corruption("ciphertext too short (" + std::to_string(ciphertext.size()) +
                            " bytes)");
  }
  const uint8_t* iv = ciphertext.data();
  const uint8_t* ct = iv + 16;
  size_t n = ciphertext.size() - kCryptoOverhead;
  if (out.size() != n) {
    return core::Corruption("plaintext of " + std::to_string(n) + " bytes where " +
                            std::to_string(out.size()) + " were expected");
  }
  uint8_t tag[16];
  Mac(key, iv, ct, n, tag);
  if (CRYPTO_memcmp(tag, ct + n, 16) != 0) {
    return core::Corruption("ciphertext verification failed");
  }
  AesCtr(key, iv, ct, n, out.data());
  return core::Status::Ok();
}

core::Status DecryptInto(const MasterKey& key, core::ByteView ciphertext, core::Bytes* out) {
  if (ciphertext.size() < kCryptoOverhead) {
    return core::Corruption("ciphertext too short (" + std::to_string(ciphertext.size()) +
                            " bytes)");
  }
  out->resize(ciphertext.size() - kCryptoOverhead);
  return DecryptTo(key, ciphertext, *out);
}

core::Result<core::Bytes> Decrypt(const MasterKey& key, core::ByteView ciphertext) {
  core::Bytes out;
  HS_TRY(DecryptInto(key, ciphertext, &out));
  return out;
}

}  // namespace hasteward::repo
