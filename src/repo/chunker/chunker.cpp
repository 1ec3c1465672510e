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
    RandomBytes(reinterpret_cast<uint8_t*>(&f), sizeof(f));  // NOLINT
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
  for (; i < n; ++i) {
    uint8_t in = data[i];
    uint8_t out = window_[wpos];
    window_[wpos] = in;
    wpos = (wpos + 1) & (kWindowSize - 1);
    d ^= out_[out];
    d = ((d << 8) | in) ^ mod_[d >> shift];
    ++len;
    if (len >= kMinSize && ((d & kSplitMask) == 0 || len >= kMaxSize)) {
      *cut = true;
      Reset();
      return i + 1;
    }
  }
  digest_ = d;
  wpos_ = wpos;
  length_ = len;
  return n;
}

}  // namespace hasteward::repo
