#include "catalog/wal/wal_index_format.h"

#include <gtest/gtest.h>

namespace hasteward::catalog {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace wal_index_format_test {
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
  EXPECT_EQ(DecodeIndexFile(R"({"version":3,"cluster":"a/b","part":"delta","entries":[]})")
                .status()
                .code(),
            core::ErrorCode::kCorruption);
  EXPECT_EQ(DecodeIndexFile(R"({"version":2,"cluster":"a/b","part":"delta","entries":[{"n":1}]})")
                .status()
                .code(),
            core::ErrorCode::kCorruption);
}

IndexedBase Base(uint8_t id, int64_t seconds) {
  IndexedBase base;
  base.snapshot[0] = id;
  base.time = At(seconds);
  base.timeline = 2;
  base.start = 0x5000028;
  base.stop = 0x5000100;
  return base;
}

// Version 2 adds the bases (in deltas and summaries), the bucket files a summary names, the count
// of WAL snapshots and what a bucket replaced: each survives encoding exactly.
TEST(WalIndexFormatTest, BasesAndBucketNamesSurviveEncodingExactly) {
  IndexFileContent summary;
  summary.cluster = "ns/shop";
  summary.part = IndexPart::kSummary;
  summary.summary.Add(Segment(1, 5));
  summary.summary.bases.emplace(Base(9, 1700).snapshot, Base(9, 1700));
  summary.summary.buckets[{1, 0}] = {"00aa", "11bb"};
  summary.summary.wal_snapshots = 42;
  summary.summary.merged_deltas = {"ccdd"};
  auto decoded = DecodeIndexFile(EncodeIndexFile(summary));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->summary.bases.size(), 1u);
  const IndexedBase& base = decoded->summary.bases.begin()->second;
  EXPECT_EQ(base.snapshot, Base(9, 1700).snapshot);
  EXPECT_EQ(base.time.unix_seconds, 1700);
  EXPECT_EQ(base.timeline, 2u);
  EXPECT_EQ(base.start, 0x5000028u);
  EXPECT_EQ(base.stop, 0x5000100u);
  EXPECT_EQ(decoded->summary.buckets, summary.summary.buckets);
  EXPECT_EQ(decoded->summary.wal_snapshots, 42u);
  EXPECT_EQ(decoded->summary.merged_deltas, summary.summary.merged_deltas);

  IndexFileContent delta;
  delta.cluster = "ns/shop";
  delta.bases = {Base(3, 1600)};
  auto delta_decoded = DecodeIndexFile(EncodeIndexFile(delta));
  ASSERT_TRUE(delta_decoded.ok()) << delta_decoded.status().ToString();
  ASSERT_EQ(delta_decoded->bases.size(), 1u);
  EXPECT_EQ(delta_decoded->bases[0].snapshot, Base(3, 1600).snapshot);

  IndexFileContent bucket;
  bucket.cluster = "ns/shop";
  bucket.part = IndexPart::kBucket;
  bucket.entries = {Segment(1, 5)};
  bucket.supersedes = {"0123", "4567"};
  auto bucket_decoded = DecodeIndexFile(EncodeIndexFile(bucket));
  ASSERT_TRUE(bucket_decoded.ok()) << bucket_decoded.status().ToString();
  EXPECT_EQ(bucket_decoded->supersedes, bucket.supersedes);
}

// Summaries union: bases and bucket names add up, the WAL snapshot count is the larger one (two
// summaries of racing merges both count what they merged from the same older one).
TEST(WalIndexFormatTest, MergingSummariesUnitesBasesAndBucketNames) {
  WalIndexSummary a;
  a.bases.emplace(Base(1, 10).snapshot, Base(1, 10));
  a.buckets[{1, 0}] = {"aa"};
  a.wal_snapshots = 5;
  WalIndexSummary b;
  b.bases.emplace(Base(2, 20).snapshot, Base(2, 20));
  b.buckets[{1, 0}] = {"bb"};
  b.buckets[{1, 1}] = {"cc"};
  b.wal_snapshots = 7;
  a.Merge(b);
  a.Merge(b);
  EXPECT_EQ(a.bases.size(), 2u);
  EXPECT_EQ(a.buckets.at({1, 0}), (std::set<std::string>{"aa", "bb"}));
  EXPECT_EQ(a.buckets.at({1, 1}), (std::set<std::string>{"cc"}));
  EXPECT_EQ(a.wal_snapshots, 7u);
}

// A file of the version-1 layout (no bases, buckets listed beside the summary) is refused like a
// damaged one, so the reader rebuilds the index instead of answering without the bases.
TEST(WalIndexFormatTest, AVersionOneFileIsRefused) {
  auto old = DecodeIndexFile(
      R"({"version":1,"cluster":"a/b","part":"summary","summary":{"runs":[],"histories":[],"others":[]}})");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), core::ErrorCode::kCorruption);
  auto bad_id = DecodeIndexFile(
      R"({"version":2,"cluster":"a/b","part":"bucket","entries":[],"supersedes":["../x"]})");
  EXPECT_EQ(bad_id.status().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace wal_index_format_test
}  // namespace hasteward::catalog
