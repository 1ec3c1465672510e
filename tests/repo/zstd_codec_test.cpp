#include "repo/compress/zstd_codec.h"

#include <gtest/gtest.h>

namespace hasteward::repo {
namespace {

// "auto" leaves the level to the caller that knows its data (native backups of PostgreSQL use
// zstd 3 for their pages); a level the user typed is never replaced.
TEST(ZstdCodecTest, AutoLetsTheCallerChooseTheLevel) {
  auto automatic = ParseCompression("auto");
  ASSERT_TRUE(automatic.ok()) << automatic.status().ToString();
  EXPECT_TRUE(automatic->automatic);
  CompressionOptions chosen = automatic->WithAutomaticLevel(3);
  EXPECT_TRUE(chosen.enabled);
  EXPECT_EQ(chosen.level, 3);
  EXPECT_EQ(ParseCompression("")->WithAutomaticLevel(3).level, 3);
  EXPECT_EQ(CompressionOptions().WithAutomaticLevel(3).level, 3);
}

TEST(ZstdCodecTest, ExplicitLevelIsKept) {
  for (const char* text : {"1", "max", "fastest", "better"}) {
    auto explicit_level = ParseCompression(text);
    ASSERT_TRUE(explicit_level.ok()) << text;
    EXPECT_FALSE(explicit_level->automatic) << text;
    EXPECT_EQ(explicit_level->WithAutomaticLevel(3).level, explicit_level->level) << text;
  }
  EXPECT_EQ(ParseCompression("1")->WithAutomaticLevel(3).level, 1);
}

TEST(ZstdCodecTest, OffStaysOff) {
  auto off = ParseCompression("off");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->WithAutomaticLevel(3).enabled);
}

TEST(ZstdCodecTest, FrameRoundTripsAtTheNativeLevel) {
  core::Bytes page(size_t{512} * 1024);
  for (size_t i = 0; i < page.size(); ++i) {
    page[i] = static_cast<uint8_t>(i % 8192 < 200 ? i * 31 : ' ');
  }
  core::Bytes frame;
  ZstdCompressAppend(page, 3, &frame);
  EXPECT_LT(frame.size(), page.size() / 10);
  core::Bytes back;
  ASSERT_TRUE(ZstdDecompress(frame, page.size(), &back).ok());
  EXPECT_EQ(back, page);
}

TEST(ZstdCodecTest, RejectsUnknownCompression) {
  auto bad = ParseCompression("fast");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::ErrorCode::kUsage);
}

}  // namespace
}  // namespace hasteward::repo
