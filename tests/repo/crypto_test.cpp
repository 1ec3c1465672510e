#include "repo/crypto/crypto.h"

#include <gtest/gtest.h>

#include "core/hex.h"
#include "repo/crypto/key_file.h"
#include "repo/repository.h"
#include "repo/tv4.h"

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace crypto_test {
namespace {

MasterKey Tv4Key() {
  return *ParseMasterKeyJson(tv4::kMasterKeyJson);
}

TEST(CryptoTest, OpensResticKeyFileWithPassword) {
  auto key = OpenKeyFile(tv4::kKeyFile, tv4::kPassword);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(MasterKeyJson(*key), tv4::kMasterKeyJson);
}

TEST(CryptoTest, WrongPasswordIsReportedAsSuch) {
  auto key = OpenKeyFile(tv4::kKeyFile, "not-the-password");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), core::ErrorCode::kWrongPassword);
}

TEST(CryptoTest, DecryptsResticConfig) {
  auto plain = Decrypt(Tv4Key(), *core::HexDecode(tv4::kConfigHex));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(core::AsString(*plain), tv4::kConfigJson);
  auto config = ParseConfigJson(core::AsString(*plain));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->chunker_polynomial, 0x3da3358b4dc173u);
}

TEST(CryptoTest, RoundTripAndTamperDetection) {
  MasterKey key = MasterKey::Random();
  core::Bytes msg = core::Bytes(1000, 7);
  core::Bytes ct = Encrypt(key, msg);
  ASSERT_EQ(ct.size(), msg.size() + kCryptoOverhead);
  EXPECT_EQ(*Decrypt(key, ct), msg);
  for (size_t pos : {size_t{0}, size_t{20}, ct.size() - 1}) {
    core::Bytes bad = ct;
    bad[pos] ^= 1;
    auto r = Decrypt(key, bad);
    ASSERT_FALSE(r.ok()) << "flip at " << pos;
    EXPECT_EQ(r.status().code(), core::ErrorCode::kCorruption);
  }
}

TEST(CryptoTest, NewKeyFileOpensWithItsPasswordOnly) {
  MasterKey key = MasterKey::Random();
  KdfParams fast{1024, 8, 1};
  auto file = MakeKeyFile(key, "pw", fast, KeyFileInfo{"h", "u", "2023-01-02T03:04:05Z"});
  ASSERT_TRUE(file.ok());
  auto opened = OpenKeyFile(*file, "pw");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->encrypt, key.encrypt);
  EXPECT_EQ(OpenKeyFile(*file, "px").status().code(), core::ErrorCode::kWrongPassword);
}

TEST(CryptoTest, Sha256MatchesKnownDigest) {
  EXPECT_EQ(IdToHex(Sha256(core::AsBytes(std::string("hello\n")))), tv4::kHelloBlobId);
}

}  // namespace
}  // namespace crypto_test
}  // namespace hasteward::repo
