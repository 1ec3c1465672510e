#include "repo/chunker/chunker.h"

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
