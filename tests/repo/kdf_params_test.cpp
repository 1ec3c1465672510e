#include "repo/crypto/kdf_params.h"

#include <gtest/gtest.h>

namespace hasteward::repo {
namespace {

TEST(KdfParamsTest, ParsesThreeNumbers) {
  auto params = ParseKdfParams("1024,8,1");
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_EQ(params->n, 1024u);
  EXPECT_EQ(params->r, 8u);
  EXPECT_EQ(params->p, 1u);
  auto restic_default = ParseKdfParams("32768,8,4");
  ASSERT_TRUE(restic_default.ok());
  EXPECT_EQ(restic_default->n, KdfParams{}.n);
  EXPECT_EQ(restic_default->p, KdfParams{}.p);
}

TEST(KdfParamsTest, RefusesMalformedOrUnsafeValuesWithAUsageError) {
  for (const char* text : {"", "1024", "1024,8", "1024,8,1,1", "1024,,1", "1024,8,x", "-1024,8,1",
                           "1024 ,8,1", "1000,8,1", "512,8,1", "2097152,8,1", "1024,0,1",
                           "1024,33,1", "1024,8,0", "1024,8,17", "99999999999999999999,8,1"}) {
    auto params = ParseKdfParams(text);
    ASSERT_FALSE(params.ok()) << "accepted '" << text << "'";
    EXPECT_EQ(params.status().code(), core::ErrorCode::kUsage) << text;
    EXPECT_NE(params.status().ToString().find(text), std::string::npos)
        << "the message names the value: " << params.status().ToString();
  }
}

}  // namespace
}  // namespace hasteward::repo
