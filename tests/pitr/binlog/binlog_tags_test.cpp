// The per-piece tags of binlog snapshots read back as written, multi-domain states included, and
// anything else is refused rather than half read.
#include "pitr/binlog/binlog_tags.h"

#include <gtest/gtest.h>

namespace hasteward::pitr {
namespace {

TEST(BinlogTagsTest, APieceTagReadsBackWithoutCommas) {
  catalog::BinlogPiece piece;
  piece.identity = {"db-0", 7, 1700000000, "mariadb-bin.000003"};
  piece.start = 256;
  piece.end = 4096;
  piece.sealed = true;
  piece.archived_at_ns = 1700000001123456789ULL;
  piece.last_time = 1700000001;
  piece.gtid_state_after = "0-7-42,1-7-3";
  std::string tag = BinlogPieceTag(piece);
  EXPECT_EQ(tag.find(','), std::string::npos) << tag;
  ASSERT_EQ(tag.rfind(std::string(kBinlogPieceTag) + "=", 0), 0u) << tag;

  auto facts = ParseBinlogPieceTag(tag.substr(std::string(kBinlogPieceTag).size() + 1));
  ASSERT_TRUE(facts.has_value()) << tag;
  EXPECT_EQ(facts->file_key, piece.identity.Key());
  EXPECT_EQ(facts->start, 256u);
  EXPECT_EQ(facts->end, 4096u);
  EXPECT_TRUE(facts->sealed);
  EXPECT_EQ(facts->archived_at_ns, piece.archived_at_ns);
  EXPECT_EQ(facts->last_time, 1700000001u);
  EXPECT_EQ(facts->state_after, "0-7-42,1-7-3");
}

TEST(BinlogTagsTest, MalformedPieceTagsAreRefused) {
  for (const char* value :
       {"", "garbage", "10-5/open/1/1/0-1-1/key", "0-5/maybe/1/1/0-1-1/key",
        "0-5/open/x/1/0-1-1/key", "0-5/open/1/1/0-1-1/", "0-5/open/1/1/0-1-1"}) {
    EXPECT_FALSE(ParseBinlogPieceTag(value).has_value()) << value;
  }
}

}  // namespace
}  // namespace hasteward::pitr
