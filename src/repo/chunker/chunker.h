#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/status.h"

namespace hasteward::repo {

// restic's content-defined chunker: Rabin fingerprints over a 64-byte window, reduced modulo the
// repository's irreducible polynomial; chunks are 512 KiB .. 8 MiB and cut where the low 20 bits
// of the fingerprint are zero (restic-format.md §8). For the same polynomial and input it cuts
// exactly where restic does, so blob IDs (and deduplication) match restic's.
class Chunker {
 public:
  static constexpr size_t kMinSize = size_t{512} * 1024;
  static constexpr size_t kMaxSize = size_t{8} * 1024 * 1024;
  static constexpr size_t kWindowSize = 64;
  static constexpr uint64_t kSplitMask = (1u << 20) - 1;

  // `polynomial` must be irreducible of degree 53 (checked by IsValidPolynomial).
  explicit Chunker(uint64_t polynomial);

  // Starts a new chunk (called automatically after a cut).
  void Reset();

  // Continues the current chunk with data[0..n). Returns how many bytes belong to it; sets *cut
  // when the chunk ends after those bytes (then the chunker is reset for the next chunk). When no
  // cut is found the whole input is consumed.
  size_t Scan(const uint8_t* data, size_t n, bool* cut);

  // Bytes in the current (unfinished) chunk.
  size_t current_length() const { return length_; }

  uint64_t out_table(int b) const { return out_[static_cast<size_t>(b)]; }
  uint64_t mod_table(int b) const { return mod_[static_cast<size_t>(b)]; }

 private:
  void Slide(uint8_t in);
  // Fingerprint of exactly these 64 bytes (what a settled window holds).
  uint64_t WindowFingerprint(const uint8_t* window) const;
  // One block of kLanes * kLaneBytes bytes past kMinSize, fingerprinted in interleaved lanes
  // (base[-64..) must be readable). Returns the offset of the first cut in the block, or kNoHit
  // and the fingerprint after the block in *digest.
  static constexpr size_t kLanes = 6;
  static constexpr size_t kLaneBytes = 4096;
  static constexpr size_t kNoHit = SIZE_MAX;
  size_t ScanLanes(const uint8_t* base, uint64_t* digest) const;

  std::array<uint64_t, 256> out_{};
  std::array<uint64_t, 256> mod_{};
  int shift_ = 0;  // degree - 8
  std::array<uint8_t, kWindowSize> window_{};
  size_t wpos_ = 0;
  uint64_t digest_ = 0;
  size_t length_ = 0;
};

// Degree of a GF(2) polynomial (bit i = coefficient of x^i); -1 for 0.
int PolynomialDegree(uint64_t p);
// True when p has degree 53 and is irreducible (Ben-Or test).
bool IsValidPolynomial(uint64_t p);
// A random irreducible polynomial of degree 53, as `restic init` makes.
uint64_t RandomPolynomial();

}  // namespace hasteward::repo
