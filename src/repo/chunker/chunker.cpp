#include "repo/chunker/chunker.h"

#include <cstring>

#include "repo/crypto/crypto.h"

namespace hasteward::repo {

namespace {

__extension__ using Uint128 = unsigned __int128;  // GCC/Clang builtin; pedantic-clean

uint64_t PolyMod(uint64_t x, uint64_t p) {
  int dp = PolynomialDegree(p);
  int dx = PolynomialDegree(x);
  while (dx >= dp) {
    x ^= p << (dx - dp);
    dx = PolynomialDegree(x);
  }
  return x;
}

// (a * b) mod p over GF(2), for deg(a), deg(b) < deg(p) <= 63.
uint64_t PolyMulMod(uint64_t a, uint64_t b, uint64_t p) {
  Uint128 prod = 0;
  for (int i = 0; i < 64; ++i) {
    if ((b >> i) & 1) {
      prod ^= static_cast<Uint128>(a) << i;
    }
  }
  int dp = PolynomialDegree(p);
  for (int bit = 127; bit >= dp; --bit) {
    if ((prod >> bit) & 1) {
      prod ^= static_cast<Uint128>(p) << (bit - dp);
    }
  }
  return static_cast<uint64_t>(prod);
}

uint64_t PolyGcd(uint64_t a, uint64_t b) {
  while (b != 0) {
    uint64_t r = PolyMod(a, b);
    a = b;
    b = r;
  }
  return a;
}

}  // namespace

int PolynomialDegree(uint64_t p) {
  return p == 0 ? -1 : 63 - __builtin_clzll(p);
}

bool IsValidPolynomial(uint64_t p) {
  if (PolynomialDegree(p) != 53) {
    return false;
  }
  uint64_t x2i = 2;  // x
  for (int i = 1; i <= 53 / 2; ++i) {
    x2i = PolyMulMod(x2i, x2i, p);
    if (PolyGcd(p, x2i ^ 2) != 1) {
      return false;
    }
  }
  return true;
}

uint64_t RandomPolynomial() {
  for (int i = 0; i < 1000000; ++i) {
    uint64_t f;
    RandomBytes(reinterpret_cast<uint8_t*>(&f), sizeof(f));
    f &= (1ULL << 54) - 1;
    f |= (1ULL << 53) | 1;
    if (IsValidPolynomial(f)) {
      return f;
    }
  }
  std::abort();  // statistically impossible: about 1 in 53 candidates is irreducible
}

Chunker::Chunker(uint64_t polynomial) {
  int k = PolynomialDegree(polynomial);
  shift_ = k - 8;
  for (uint64_t b = 0; b < 256; ++b) {
    uint64_t h = PolyMod(b, polynomial);
    for (size_t i = 0; i < kWindowSize - 1; ++i) {
      h = PolyMod(h << 8, polynomial);
    }
    out_[b] = h;
    mod_[b] = PolyMod(b << k, polynomial) | (b << k);
  }
  Reset();
}

void Chunker::Reset() {
  window_.fill(0);
  wpos_ = 0;
  digest_ = 0;
  length_ = 0;
  Slide(1);
}

inline void Chunker::Slide(uint8_t in) {
  uint8_t out = window_[wpos_];
  window_[wpos_] = in;
  wpos_ = (wpos_ + 1) & (kWindowSize - 1);
  digest_ ^= out_[out];
  digest_ = ((digest_ << 8) | in) ^ mod_[digest_ >> shift_];
}

// Once a chunk is kMinSize long, the fingerprint at a position depends only on the 64 bytes
// of the window ending there (the Reset marker and the skipped bytes have slid out). So a long
// run can be split into lanes whose fingerprints are computed independently, each lane warmed
// up on the 64 bytes before it. The per-byte update is a chain of dependent table lookups;
// interleaving independent lanes lets the core overlap them, which is most of the chunker's
// cost. The first cut found in the lowest lane is the cut restic makes.
uint64_t Chunker::WindowFingerprint(const uint8_t* window) const {
  uint64_t d = 0;
  for (size_t k = 0; k < kWindowSize; ++k)
    d = ((d << 8) | window[k]) ^ mod_[d >> shift_];
  return d;
}

size_t Chunker::ScanLanes(const uint8_t* base, uint64_t* digest) const {
  const int shift = shift_;
  uint64_t lane[kLanes];
  lane[0] = *digest;
  for (size_t j = 1; j < kLanes; ++j)
    lane[j] = WindowFingerprint(base + j * kLaneBytes - kWindowSize);
  size_t first_hit[kLanes];
  for (size_t j = 0; j < kLanes; ++j)
    first_hit[j] = kLaneBytes;
  for (size_t k = 0; k < kLaneBytes; ++k) {
    bool any = false;
#pragma GCC unroll 8
    for (size_t j = 0; j < kLanes; ++j) {
      size_t pos = j * kLaneBytes + k;
      uint64_t x = lane[j] ^ out_[base[pos - kWindowSize]];
      x = ((x << 8) | base[pos]) ^ mod_[x >> shift];
      lane[j] = x;
      any |= (x & kSplitMask) == 0;
    }
    if (__builtin_expect(any, 0)) {
      for (size_t j = 0; j < kLanes; ++j) {
        if (first_hit[j] == kLaneBytes && (lane[j] & kSplitMask) == 0)
          first_hit[j] = k;
      }
    }
  }
  for (size_t j = 0; j < kLanes; ++j) {
    if (first_hit[j] != kLaneBytes)
      return j * kLaneBytes + first_hit[j];
  }
  *digest = lane[kLanes - 1];
  return kNoHit;
}

size_t Chunker::Scan(const uint8_t* data, size_t n, bool* cut) {
  *cut = false;
  size_t i = 0;
  // restic never cuts below kMinSize, so the bytes before the last window are not hashed.
  constexpr size_t kSkip = kMinSize - kWindowSize;
  if (length_ < kSkip) {
    size_t skip = std::min(kSkip - length_, n);
    i = skip;
    length_ += skip;
  }
  uint64_t d = digest_;
  size_t wpos = wpos_;
  size_t len = length_;
  const int shift = shift_;
  auto finish_cut = [&](size_t consumed) {
    *cut = true;
    Reset();
    return consumed;
  };

  // Ring-window path: the window's older bytes live in window_ (first 64 bytes of this call),
  // or the fingerprint still carries the Reset marker (before kMinSize).
  while (i < n && (i < kWindowSize || len < kMinSize)) {
    uint8_t in = data[i];
    uint8_t out = window_[wpos];
    window_[wpos] = in;
    wpos = (wpos + 1) & (kWindowSize - 1);
    d ^= out_[out];
    d = ((d << 8) | in) ^ mod_[d >> shift];
    ++len;
    ++i;
    if (len >= kMinSize && ((d & kSplitMask) == 0 || len >= kMaxSize))
      return finish_cut(i);
  }
  if (i == n) {
    digest_ = d;
    wpos_ = wpos;
    length_ = len;
    return n;
  }

  // In-buffer path: i >= 64 and len >= kMinSize, so every outgoing byte is data[pos - 64].
  const size_t limit = std::min(n, i + (kMaxSize - len));  // the forced cut at kMaxSize
  while (limit - i >= kLanes * kLaneBytes) {
    size_t hit = ScanLanes(data + i, &d);
    if (hit != kNoHit)
      return finish_cut(i + hit + 1);
    i += kLanes * kLaneBytes;
    len += kLanes * kLaneBytes;
  }
  for (; i < limit; ++i) {
    d ^= out_[data[i - kWindowSize]];
    d = ((d << 8) | data[i]) ^ mod_[d >> shift];
    ++len;
    if ((d & kSplitMask) == 0)
      return finish_cut(i + 1);
  }
  if (len >= kMaxSize)
    return finish_cut(i);
  // No cut: keep the last 64 bytes as the ring window for the next call.
  std::memcpy(window_.data(), data + i - kWindowSize, kWindowSize);
  wpos_ = 0;
  digest_ = d;
  length_ = len;
  return n;
}

}  // namespace hasteward::repo
