#include "repo/chunker/chunker.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "repo/crypto/crypto.h"

namespace hasteward::repo {
namespace {

constexpr uint64_t kPol = 0x3da3358b4dc173;

// data20m.bin of restic-format.md §13: AES-256-CTR keystream of a zero key and IV.
std::vector<uint8_t> AesZeroStream(size_t n) {
  std::vector<uint8_t> zero(n, 0), out(n);
  uint8_t key[32] = {0}, iv[16] = {0};
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), nullptr, key, iv);
  int len = 0;
  EVP_EncryptUpdate(c, out.data(), &len, zero.data(), static_cast<int>(n));
  EVP_CIPHER_CTX_free(c);
  return out;
}

std::vector<size_t> ChunkLengths(uint64_t pol, const std::vector<uint8_t>& data, size_t step) {
  Chunker ch(pol);
  std::vector<size_t> lengths;
  size_t cur = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t n = std::min(step, data.size() - pos);
    size_t consumed = 0;
    while (consumed < n) {
      bool cut = false;
      size_t used = ch.Scan(data.data() + pos + consumed, n - consumed, &cut);
      consumed += used;
      cur += used;
      if (cut) {
        lengths.push_back(cur);
        cur = 0;
      }
    }
    pos += n;
  }
  if (cur > 0)
    lengths.push_back(cur);
  return lengths;
}

TEST(ChunkerTest, TablesMatchReferenceValues) {
  Chunker ch(kPol);
  EXPECT_EQ(ch.out_table(1), 0x17eb4232e19216u);
  EXPECT_EQ(ch.out_table(2), 0x1275b1ee8ee55fu);
  EXPECT_EQ(ch.out_table(255), 0x0b80b98cecc39au);
  EXPECT_EQ(ch.mod_table(1), 0x3da3358b4dc173u);
  EXPECT_EQ(ch.mod_table(2), 0x46e55e9dd64395u);
  EXPECT_EQ(ch.mod_table(255), 0x1ff7ac8a5af476a7u);
}

TEST(ChunkerTest, CutsWhereResticCutsWhateverTheReadSize) {
  auto data = AesZeroStream(20971520);
  const std::vector<size_t> expected = {551133, 640712,  2766582, 898583,  2782732, 2263350,
                                        531615, 1191198, 3039727, 3056265, 3249623};
  for (size_t step : {size_t{4096}, size_t{1} << 20, size_t{20971520}}) {
    SCOPED_TRACE(step);
    EXPECT_EQ(ChunkLengths(kPol, data, step), expected);
  }
  EXPECT_EQ(IdToHex(Sha256(core::ByteView(data.data(), 551133))),
            "3ce030d97b29f48d1976586188dbcda336f6a3cbefa0688044e6cb9e1dbd5b58");
}

TEST(ChunkerTest, ResticGeneratedPolynomialBoundaries) {
  auto data = AesZeroStream(20971520);
  const std::vector<size_t> expected = {1189166, 1146208, 1307912, 816594,  1933461,
                                        4020186, 901307,  987466,  1272178, 849916,
                                        2476039, 1819450, 1715150, 536487};
  EXPECT_EQ(ChunkLengths(0x289a96a37c686d, data, 1 << 20), expected);
}

TEST(ChunkerTest, ZerosCutAtMinimumAndConstantRunsAtMaximum) {
  std::vector<uint8_t> zeros(2097152, 0);
  EXPECT_EQ(ChunkLengths(kPol, zeros, 65536), std::vector<size_t>(4, 524288));
  std::vector<uint8_t> ones(20971520, 1);
  EXPECT_EQ(ChunkLengths(kPol, ones, 1 << 20), (std::vector<size_t>{8388608, 8388608, 4194304}));
}

// The byte-at-a-time definition of restic's chunker, written from the format description
// (restic-format.md section 8) without any of the production fast paths.
std::vector<size_t> ReferenceChunkLengths(uint64_t pol, const std::vector<uint8_t>& data) {
  Chunker tables(pol);
  const int shift = PolynomialDegree(pol) - 8;
  std::vector<size_t> lengths;
  size_t pos = 0;
  while (pos < data.size()) {
    uint8_t window[64] = {0};
    size_t wpos = 0;
    uint64_t d = 0;
    auto slide = [&](uint8_t in) {
      uint8_t out = window[wpos];
      window[wpos] = in;
      wpos = (wpos + 1) % 64;
      d ^= tables.out_table(out);
      d = ((d << 8) | in) ^ tables.mod_table(static_cast<int>(d >> shift));
    };
    slide(1);
    size_t len = std::min(Chunker::kMinSize - 64, data.size() - pos);
    for (; pos + len < data.size();) {
      slide(data[pos + len]);
      ++len;
      if (len >= Chunker::kMinSize && ((d & Chunker::kSplitMask) == 0 || len >= Chunker::kMaxSize))
        break;
    }
    lengths.push_back(len);
    pos += len;
  }
  return lengths;
}

TEST(ChunkerTest, EqualsTheByteAtATimeDefinitionForManyInputsAndReadSizes) {
  std::mt19937_64 rng(7);
  std::vector<uint8_t> data;
  auto append_random = [&](size_t n, int alphabet) {
    for (size_t k = 0; k < n; ++k)
      data.push_back(static_cast<uint8_t>(rng() % static_cast<uint64_t>(alphabet)));
  };
  append_random(9 << 20, 256);           // ordinary cuts
  data.insert(data.end(), 10 << 20, 7);  // a constant run: forced cuts at kMaxSize
  append_random(6 << 20, 3);             // low-entropy text-like bytes
  data.insert(data.end(), 1 << 20, 0);   // zeros: cuts right at kMinSize
  append_random(3 << 20, 256);
  for (uint64_t pol : {kPol, uint64_t{0x289a96a37c686d}}) {
    auto want = ReferenceChunkLengths(pol, data);
    ASSERT_GT(want.size(), 12u);
    for (size_t step : {size_t{1} << 20, size_t{65536}, size_t{100003}, size_t{20000000}})
      EXPECT_EQ(ChunkLengths(pol, data, step), want) << "step " << step;
  }
  // Very small reads keep the ring-window path busy across calls.
  std::vector<uint8_t> head(data.begin(), data.begin() + (3 << 20));
  EXPECT_EQ(ChunkLengths(kPol, head, 61), ReferenceChunkLengths(kPol, head));
}

TEST(ChunkerTest, SmallInputIsOneChunk) {
  std::vector<uint8_t> one(1, 42);
  EXPECT_EQ(ChunkLengths(kPol, one, 1), std::vector<size_t>{1});
}

TEST(ChunkerTest, PolynomialValidity) {
  EXPECT_TRUE(IsValidPolynomial(kPol));
  EXPECT_TRUE(IsValidPolynomial(0x289a96a37c686d));
  EXPECT_FALSE(IsValidPolynomial(kPol ^ 2));         // reducible or wrong: one flipped coefficient
  EXPECT_FALSE(IsValidPolynomial(0x3da3358b4dc17));  // degree 49
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(IsValidPolynomial(RandomPolynomial()));
}

}  // namespace
}  // namespace hasteward::repo
