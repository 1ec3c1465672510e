#include "core/crc32c.h"

#include <string>

#include <gtest/gtest.h>

namespace hasteward::core {
namespace {

// The check value of CRC-32C from its specification (RFC 3720, iSCSI): "123456789" -> e3069283.
TEST(Crc32cTest, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c(AsBytes("123456789")), 0xE3069283U);
  EXPECT_EQ(Crc32c(AsBytes("")), 0U);
}

// RFC 3720 B.4: 32 bytes of zeros -> 8a9136aa; 32 bytes of 0xff -> 62a8ab43.
TEST(Crc32cTest, MatchesTheIscsiTestVectors) {
  EXPECT_EQ(Crc32c(AsBytes(std::string(32, '\0'))), 0x8A9136AAU);
  EXPECT_EQ(Crc32c(AsBytes(std::string(32, '\xff'))), 0x62A8AB43U);
}

// A file checked batch by batch gets the checksum of its whole content, whatever the split
// (including splits that leave the word-at-a-time loop a ragged tail).
TEST(Crc32cTest, ExtendingPieceByPieceEqualsTheWholeAtEverySplit) {
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text += static_cast<char>(i * 37 + 11);
  }
  uint32_t whole = Crc32c(AsBytes(text));
  for (size_t split = 0; split <= text.size(); ++split) {
    std::string head = text.substr(0, split);
    std::string tail = text.substr(split);
    EXPECT_EQ(Crc32cExtend(Crc32c(AsBytes(head)), AsBytes(tail)), whole) << "split at " << split;
  }
}

}  // namespace
}  // namespace hasteward::core
