#include "pitr/wal/wal_index_format.h"

#include <gtest/gtest.h>

namespace hasteward::pitr {
namespace {

repo::GoTime At(int64_t seconds) {
  return repo::GoTime{seconds, 0, 0};
}

WalIndexEntry Segment(uint32_t timeline, uint64_t segment) {
  WalIndexEntry entry;
  entry.name = "seg-" + std::to_string(timeline) + "-" + std::to_string(segment);
  entry.kind = engine::ArchiveFileKind::kSegment;
  entry.timeline = timeline;
  entry.segment = segment;
  entry.size = 16;
  entry.mtime = At(static_cast<int64_t>(1000 + segment));
  entry.sha256 = std::string(64, 'a');
  entry.snapshot[0] = 7;
  IndexedBlob blob;
  blob.id[0] = 1;
  blob.pack[0] = 2;
  blob.offset = 100;
  blob.length = 48;
  blob.uncompressed_length = 16;
  entry.content.push_back(blob);
  return entry;
}

TEST(WalIndexFormatTest, DeltaEntriesSurviveEncodingExactly) {
  IndexFileContent delta;
  delta.cluster = "ns/shop";
  delta.part = IndexPart::kDelta;
  delta.entries = {Segment(1, 5)};
  auto decoded = DecodeIndexFile(EncodeIndexFile(delta));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->cluster, "ns/shop");
  ASSERT_EQ(decoded->entries.size(), 1u);
  const WalIndexEntry& entry = decoded->entries[0];
  EXPECT_EQ(entry.name, "seg-1-5");
  EXPECT_EQ(entry.segment, 5u);
  EXPECT_EQ(entry.mtime.unix_seconds, 1005);
  EXPECT_EQ(entry.snapshot[0], 7);
  ASSERT_EQ(entry.content.size(), 1u);
  EXPECT_EQ(entry.content[0].pack[0], 2);
  EXPECT_EQ(entry.content[0].offset, 100u);
  EXPECT_EQ(entry.content[0].uncompressed_length, 16u);
}

// The summary's size follows the gaps: 1000 consecutive segments are one run.
TEST(WalIndexFormatTest, SummaryHoldsOneRunPerUnbrokenStretch) {
  WalIndexSummary summary;
  for (uint64_t segment = 0; segment < 1000; ++segment) {
    summary.Add(Segment(1, segment));
  }
  summary.Add(Segment(1, 2000));
  summary.Add(Segment(2, 3));
  IndexFileContent file;
  file.cluster = "ns/shop";
  file.part = IndexPart::kSummary;
  file.summary = summary;
  auto decoded = DecodeIndexFile(EncodeIndexFile(file));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->summary.runs.at(1).size(), 2u);
  EXPECT_EQ(decoded->summary.runs.at(1).at(0).last, 999u);
  EXPECT_EQ(decoded->summary.runs.at(1).at(0).last_mtime.unix_seconds, 1999);
  EXPECT_EQ(decoded->summary.files(), 1002u);
}

// Readers union summaries that overlap (two writers merged the same deltas): nothing is counted
// twice and runs stay disjoint.
TEST(WalIndexFormatTest, MergingOverlappingSummariesIsIdempotent) {
  WalIndexSummary first, second;
  for (uint64_t segment = 0; segment < 10; ++segment) {
    first.Add(Segment(1, segment));
  }
  for (uint64_t segment = 5; segment < 15; ++segment) {
    second.Add(Segment(1, segment));
  }
  first.Merge(second);
  first.Merge(second);
  ASSERT_EQ(first.runs.at(1).size(), 1u);
  EXPECT_EQ(first.runs.at(1).at(0).first, 0u);
  EXPECT_EQ(first.runs.at(1).at(0).last, 14u);
  EXPECT_EQ(first.files(), 15u);
}

TEST(WalIndexFormatTest, DamagedOrForeignFilesAreCorruptionNeverPartialAnswers) {
  EXPECT_EQ(DecodeIndexFile("{not json").status().code(), core::ErrorCode::kCorruption);
  EXPECT_EQ(DecodeIndexFile(R"({"version":2,"cluster":"a/b","part":"delta","entries":[]})")
                .status()
                .code(),
            core::ErrorCode::kCorruption);
  EXPECT_EQ(DecodeIndexFile(R"({"version":1,"cluster":"a/b","part":"delta","entries":[{"n":1}]})")
                .status()
                .code(),
            core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::pitr
