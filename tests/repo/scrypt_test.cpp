#include "repo/crypto/scrypt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "core/hex.h"

namespace hasteward::repo {
namespace {

std::string DeriveHex(const std::string& password, const std::string& salt, uint64_t n, uint32_t r,
                      uint32_t p, size_t len, int threads) {
  std::vector<uint8_t> out(len);
  core::ByteView s(reinterpret_cast<const uint8_t*>(salt.data()), salt.size());
  auto st = Scrypt(password, s, n, r, p, out.data(), out.size(), threads);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return core::HexEncode(core::ByteView(out.data(), out.size()));
}

// OpenSSL's single-threaded scrypt is the independent referee.
std::string OpensslHex(const std::string& password, const std::string& salt, uint64_t n, uint32_t r,
                       uint32_t p, size_t len) {
  std::vector<uint8_t> out(len);
  EXPECT_EQ(EVP_PBE_scrypt(password.data(), password.size(),
                           reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n, r,
                           p, 1ULL << 30, out.data(), out.size()),
            1);
  return core::HexEncode(core::ByteView(out.data(), out.size()));
}

TEST(ScryptTest, MatchesRfc7914FirstVector) {
  EXPECT_EQ(DeriveHex("", "", 16, 1, 1, 64, 1),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
}

TEST(ScryptTest, MatchesOpensslForManyParameterSetsAndThreadCounts) {
  struct Case {
    std::string password, salt;
    uint64_t n;
    uint32_t r, p;
  };
  const Case cases[] = {
      {"password", "NaCl", 1024, 8, 16},
      {"pleaseletmein", "SodiumChloride", 16384, 8, 1},
      {"restic", std::string(64, '\x5a'), 4096, 8, 4},
      {"odd", "lanes", 256, 3, 3},
      {std::string(300, 'p'), "", 2, 1, 5},
  };
  for (const auto& c : cases) {
    std::string want = OpensslHex(c.password, c.salt, c.n, c.r, c.p, 64);
    for (int threads : {1, 2, 3, 8}) {
      EXPECT_EQ(DeriveHex(c.password, c.salt, c.n, c.r, c.p, 64, threads), want)
          << "N=" << c.n << " r=" << c.r << " p=" << c.p << " threads=" << threads;
    }
  }
}

TEST(ScryptTest, RejectsParametersThatAreNotScrypt) {
  uint8_t out[32];
  EXPECT_EQ(Scrypt("x", {}, 1000, 8, 1, out, sizeof(out)).code(), core::ErrorCode::kUsage);
  EXPECT_EQ(Scrypt("x", {}, 1024, 0, 1, out, sizeof(out)).code(), core::ErrorCode::kUsage);
  EXPECT_EQ(Scrypt("x", {}, 1024, 8, 0, out, sizeof(out)).code(), core::ErrorCode::kUsage);
  // 2^20 * 128 * 16 = 2 GiB needs more than the allowed memory.
  EXPECT_EQ(Scrypt("x", {}, 1 << 20, 16, 1, out, sizeof(out), 0, 1ULL << 30).code(),
            core::ErrorCode::kUsage);
}

}  // namespace
}  // namespace hasteward::repo
