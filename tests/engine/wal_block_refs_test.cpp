// WalBlockReferenceReader on crafted WAL (wal_bytes_builder.h): joining records over pages and
// segments, what breaks the reading (CRC, prev-link, recycled pages, gaps) and what only leaves
// it short (a record not yet complete), the records without block references; RelationFileOf's
// path forms and ChangedBlocks' answers.
#include "engine/postgres/wal_block_refs.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "engine/wal_bytes_builder.h"

namespace hasteward::engine::postgres {
namespace {

using testing::kTestSegmentBytes;
using testing::WalBytesBuilder;
using testing::WalPayload;

constexpr uint64_t kFirst = 0x3000000;  // a multiple of the 1 MiB test segment
constexpr uint8_t kRmHeap = 10;
constexpr uint8_t kRmLogicalMessage = 21;

const RelationFork kTable{1663, 5, 16384, ForkNumber::kMain};
const RelationFork kTableVm{1663, 5, 16384, ForkNumber::kVisibilityMap};
const RelationFork kOther{1663, 5, 16390, ForkNumber::kMain};

std::string HeapRecord(const RelationFork& fork, uint32_t block) {
  return WalPayload().Block(0, fork, block).MainData("heap").Bytes();
}

std::set<std::pair<RelationFork, uint32_t>> BlocksOf(const WalBlockReferenceReader& reader) {
  std::set<std::pair<RelationFork, uint32_t>> blocks;
  reader.Blocks().ForEachBlock([&](const RelationFork& fork, uint32_t block) {
    blocks.insert({fork, block});
  });
  return blocks;
}

// Feeds the builder's segments from the first on, stopping at the first error.
core::Status Feed(WalBlockReferenceReader& reader, WalBytesBuilder& wal, int segments) {
  for (int i = 0; i < segments; ++i) {
    const uint64_t start = kFirst + static_cast<uint64_t>(i) * kTestSegmentBytes;
    HS_TRY(reader.AddSegment(start, wal.Segment(start)));
  }
  return core::Status::Ok();
}

TEST(WalBlockRefsTest, JoinsRecordsOverPagesAndSegments) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 7));
  // 1.5 MiB of main data: over many pages and into the second segment, with two blocks (the
  // second of the same relation, its relation left out).
  wal.Append(kRmLogicalMessage, 0,
             WalPayload()
                 .Block(0, kTableVm, 3)
                 .Block(1, {1663, 5, 16384, ForkNumber::kFsm}, 2, "x", /*same_rel=*/true)
                 .MainData(std::string(3 * kTestSegmentBytes / 2, 'm'))
                 .Bytes());
  wal.Append(kRmHeap, 0, WalPayload().BlockWithImage(0, kOther, 9, 4000).Bytes());
  const uint64_t to = wal.position();
  ASSERT_GT(to, kFirst + kTestSegmentBytes);

  WalBlockReferenceReader reader(from, to);
  auto status = Feed(reader, wal, 2);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(reader.Covered());
  EXPECT_EQ(reader.RecordCount(), 3u);
  std::set<std::pair<RelationFork, uint32_t>> expected = {
      {kTable, 7}, {kTableVm, 3}, {{1663, 5, 16384, ForkNumber::kFsm}, 2}, {kOther, 9}};
  EXPECT_EQ(BlocksOf(reader), expected);
  EXPECT_EQ(reader.Blocks().BlockCount(), 4u);
}

TEST(WalBlockRefsTest, JoinsARecordWhoseHeaderIsSplitOverAPageBoundary) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  // A filler record ending 16 bytes before the page's end: the next record's 24-byte header
  // starts on this page and ends on the next. Its payload holds a compressed image.
  const uint64_t filler_end = kFirst + 8192 - 16;
  const uint64_t filler_bytes = filler_end - wal.position() - 24;
  wal.Append(kRmLogicalMessage, 0,
             WalPayload().MainData(std::string(filler_bytes - 5, 'f')).Bytes());
  ASSERT_EQ(wal.position(), filler_end);
  wal.Append(kRmHeap, 0,
             WalPayload().BlockWithImage(0, kOther, 4, 2000, /*compressed=*/true).Bytes());
  const uint64_t to = wal.position();

  WalBlockReferenceReader reader(from, to);
  auto status = Feed(reader, wal, 1);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(reader.Covered());
  EXPECT_EQ(reader.RecordCount(), 3u);
  EXPECT_TRUE(reader.Blocks().MayHaveChanged(kOther, 4));
}

TEST(WalBlockRefsTest, ReadsOnlyRecordsStartingInTheInterval) {
  WalBytesBuilder wal(kFirst);
  wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));  // before from
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 2));
  const uint64_t to = wal.Append(kRmHeap, 0, HeapRecord(kTable, 3));
  // What follows to_lsn is never read: a broken record there does not matter.
  wal.Append(kRmHeap, 0, HeapRecord(kTable, 4));
  wal.raw()[wal.position() - kFirst - 10] ^= 0x55;

  WalBlockReferenceReader reader(from, to);
  ASSERT_TRUE(Feed(reader, wal, 1).ok());
  EXPECT_TRUE(reader.Covered());
  EXPECT_EQ(reader.RecordCount(), 1u);
  EXPECT_TRUE(reader.Blocks().MayHaveChanged(kTable, 2));
  EXPECT_FALSE(reader.Blocks().MayHaveChanged(kTable, 1));
  EXPECT_FALSE(reader.Blocks().MayHaveChanged(kTable, 3));
}

TEST(WalBlockRefsTest, FromInsideAPageContinuingARecordSkipsThatRecord) {
  WalBytesBuilder wal(kFirst);
  wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  // A record over three pages, then one after it: reading from the third page's start skips
  // the continued record (it started before from) and finds the next.
  wal.Append(kRmLogicalMessage, 0, WalPayload().MainData(std::string(20000, 'm')).Bytes());
  const uint64_t next = wal.Append(kRmHeap, 0, HeapRecord(kTable, 2));
  const uint64_t to = wal.position();
  const uint64_t third_page = kFirst + 2 * 8192;
  ASSERT_LT(third_page, next);

  WalBlockReferenceReader reader(third_page, to);
  ASSERT_TRUE(Feed(reader, wal, 1).ok());
  EXPECT_TRUE(reader.Covered());
  EXPECT_EQ(reader.RecordCount(), 1u);
  EXPECT_TRUE(reader.Blocks().MayHaveChanged(kTable, 2));
  EXPECT_FALSE(reader.Blocks().MayHaveChanged(kTable, 1));
}

TEST(WalBlockRefsTest, CrcMismatchIsAnError) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  const uint64_t broken = wal.Append(kRmHeap, 0, HeapRecord(kTable, 2));
  const uint64_t to = wal.position();
  wal.raw()[broken - kFirst + 30] ^= 0x01;  // a bit of its block header

  WalBlockReferenceReader reader(from, to);
  auto status = Feed(reader, wal, 1);
  EXPECT_EQ(status.code(), core::ErrorCode::kCorruption) << status.ToString();
  EXPECT_NE(status.message().find("CRC"), std::string::npos) << status.message();
  EXPECT_FALSE(reader.Covered());
}

TEST(WalBlockRefsTest, AStaleRecordWithAWrongPrevLinkIsAnError) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  // Well-formed, its CRC right, but it names another record as its predecessor: left over from
  // an earlier use of the file where a torn write stopped the new WAL.
  wal.OverridePrev(kFirst - 8);
  wal.Append(kRmHeap, 0, HeapRecord(kTable, 2));
  const uint64_t to = wal.position();

  WalBlockReferenceReader reader(from, to);
  auto status = Feed(reader, wal, 1);
  EXPECT_EQ(status.code(), core::ErrorCode::kCorruption) << status.ToString();
  EXPECT_NE(status.message().find("links back"), std::string::npos) << status.message();
}

TEST(WalBlockRefsTest, ARecordNotYetCompleteLeavesTheIntervalNotCovered) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  wal.Append(kRmLogicalMessage, 0,
             WalPayload().MainData(std::string(kTestSegmentBytes, 'm')).Bytes());
  const uint64_t to = wal.position();

  // Its second segment not given yet: no error, not covered.
  WalBlockReferenceReader one_segment(from, to);
  ASSERT_TRUE(Feed(one_segment, wal, 1).ok());
  EXPECT_FALSE(one_segment.Covered());
  EXPECT_EQ(one_segment.RecordCount(), 1u);

  // A segment cut short (still being written): the same.
  WalBlockReferenceReader cut(from, to);
  const std::string first = wal.Segment(kFirst);
  ASSERT_TRUE(cut.AddSegment(kFirst, std::string_view(first).substr(0, 5 * 8192 + 100)).ok());
  EXPECT_FALSE(cut.Covered());
  // ... and what comes after a short segment is a gap.
  const uint64_t second = kFirst + kTestSegmentBytes;
  EXPECT_EQ(cut.AddSegment(second, wal.Segment(second)).code(), core::ErrorCode::kIncompleteInput);
}

TEST(WalBlockRefsTest, AGapBetweenSegmentsIsAnError) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  for (int i = 0; i < 3; ++i)
    wal.AppendSwitch();
  const uint64_t to = wal.Append(kRmHeap, 0, HeapRecord(kTable, 2));

  WalBlockReferenceReader reader(from, to);
  ASSERT_TRUE(reader.AddSegment(kFirst, wal.Segment(kFirst)).ok());
  const uint64_t third = kFirst + 2 * kTestSegmentBytes;
  auto status = reader.AddSegment(third, wal.Segment(third));
  EXPECT_EQ(status.code(), core::ErrorCode::kIncompleteInput) << status.ToString();
  EXPECT_FALSE(reader.Covered());

  WalBlockReferenceReader late_start(from, to);
  EXPECT_EQ(late_start.AddSegment(third, wal.Segment(third)).code(),
            core::ErrorCode::kIncompleteInput);
}

TEST(WalBlockRefsTest, ASwitchRecordEndsItsSegment) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  wal.AppendSwitch();
  wal.Append(kRmHeap, 0, HeapRecord(kTable, 2));
  const uint64_t to = wal.position();
  // The rest of the switched segment is never read: garbage there does not matter.
  wal.raw()[8192 * 5] = 'g';

  WalBlockReferenceReader reader(from, to);
  auto status = Feed(reader, wal, 2);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(reader.Covered());
  EXPECT_EQ(reader.RecordCount(), 3u);
  EXPECT_TRUE(reader.Blocks().MayHaveChanged(kTable, 2));
}

// Feeds a part of the segment at `segment` (offset and length from its start).
core::Status FeedPart(WalBlockReferenceReader& reader, WalBytesBuilder& wal, uint64_t segment,
                      uint64_t offset, uint64_t length) {
  return reader.AddSegmentPart(segment, offset, wal.Segment(segment).substr(offset, length));
}

TEST(WalBlockRefsTest, SegmentPartsReadTheSameAsWholeSegmentsAndSkipWhatIsNotNeeded) {
  WalBytesBuilder wal(kFirst);
  // Records before the interval fill the first 40 pages; a long record crosses pages and the
  // segment boundary after a switch-free run; a switch ends the second segment early.
  while (wal.position() < kFirst + 40 * 8192)
    wal.Append(kRmHeap, 0, HeapRecord(kTable, 100));
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  wal.Append(
      kRmLogicalMessage, 0,
      WalPayload().Block(0, kOther, 5).MainData(std::string(kTestSegmentBytes, 'm')).Bytes());
  wal.AppendSwitch();
  wal.Append(kRmHeap, 0, HeapRecord(kTable, 2));
  const uint64_t to = wal.position();
  // Garbage where a parts reader never looks: before the interval's page, after the switch.
  wal.raw()[8192 * 3] = 'g';
  wal.raw()[2 * kTestSegmentBytes - 8192 * 2] = 'g';

  WalBlockReferenceReader parts(from, to);
  const uint64_t second = kFirst + kTestSegmentBytes;
  const uint64_t third = kFirst + 2 * kTestSegmentBytes;
  uint64_t read = 0;
  for (uint64_t segment : {kFirst, second, third}) {
    ASSERT_TRUE(FeedPart(parts, wal, segment, 0, 8192).ok());
    read += 8192;
    uint64_t fed = segment + 8192;
    while (!parts.Covered() && parts.NextWantedLsn() < segment + kTestSegmentBytes) {
      const uint64_t at = std::max(parts.NextWantedLsn(), fed);
      auto status = FeedPart(parts, wal, segment, at - segment, 4 * 8192);
      ASSERT_TRUE(status.ok()) << status.ToString();
      read += 4 * 8192;
      fed = at + 4 * 8192;
    }
  }
  EXPECT_TRUE(parts.Covered());
  EXPECT_EQ(parts.RecordCount(), 4u);
  std::set<std::pair<RelationFork, uint32_t>> expected = {{kTable, 1}, {kOther, 5}, {kTable, 2}};
  EXPECT_EQ(BlocksOf(parts), expected);
  // The first 40 pages and the switched segment's rest were not read: about 1 of 3 segments.
  EXPECT_LT(read, kTestSegmentBytes + 48 * 8192);
  EXPECT_GE(read, kTestSegmentBytes - 40 * 8192);
}

TEST(WalBlockRefsTest, APartThatLeavesOutNeededWalIsAnError) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  wal.Append(kRmLogicalMessage, 0, WalPayload().MainData(std::string(5 * 8192, 'm')).Bytes());
  const uint64_t to = wal.Append(kRmHeap, 0, HeapRecord(kTable, 2));

  WalBlockReferenceReader reader(from, to);
  ASSERT_TRUE(FeedPart(reader, wal, kFirst, 0, 2 * 8192).ok());
  EXPECT_EQ(reader.NextWantedLsn(), kFirst + 2 * 8192);  // the long record goes on there
  auto skipped = FeedPart(reader, wal, kFirst, 4 * 8192, 8192);
  EXPECT_EQ(skipped.code(), core::ErrorCode::kIncompleteInput) << skipped.ToString();
  EXPECT_FALSE(reader.Covered());

  // Parts that overlap, or a segment whose first part is not at its start: a caller's error.
  WalBlockReferenceReader overlap(from, to);
  ASSERT_TRUE(FeedPart(overlap, wal, kFirst, 0, 2 * 8192).ok());
  EXPECT_EQ(FeedPart(overlap, wal, kFirst, 8192, 8192).code(), core::ErrorCode::kInternal);
  WalBlockReferenceReader unopened(from, to);
  EXPECT_EQ(FeedPart(unopened, wal, kFirst, 8192, 8192).code(), core::ErrorCode::kInternal);
}

TEST(WalBlockRefsTest, ARecycledPageIsAnError) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  wal.Append(kRmLogicalMessage, 0, WalPayload().MainData(std::string(10000, 'm')).Bytes());
  const uint64_t to = wal.position();
  wal.raw()[8192 + 8] ^= 0x10;  // the second page's own address: an old use of the file

  WalBlockReferenceReader reader(from, to);
  EXPECT_EQ(Feed(reader, wal, 1).code(), core::ErrorCode::kCorruption);
}

TEST(WalBlockRefsTest, ARecordOverwrittenAfterACrashIsSkipped) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  wal.AppendAbandoned(kRmHeap, 0,
                      WalPayload().Block(0, kTable, 66).MainData(std::string(9000, 'a')).Bytes());
  wal.Append(kRmHeap, 0, HeapRecord(kTable, 2));
  const uint64_t to = wal.position();

  WalBlockReferenceReader reader(from, to);
  auto status = Feed(reader, wal, 1);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(reader.Covered());
  EXPECT_EQ(reader.RecordCount(), 2u);
  EXPECT_FALSE(reader.Blocks().MayHaveChanged(kTable, 66));
  EXPECT_TRUE(reader.Blocks().MayHaveChanged(kTable, 2));
}

std::string SmgrTruncate(const RelationFork& fork) {
  std::string data;
  testing::PutWal<uint32_t>(data, 10);  // new length in blocks
  testing::PutWal(data, fork.tablespace);
  testing::PutWal(data, fork.database);
  testing::PutWal(data, fork.relfilenode);
  testing::PutWal<int32_t>(data, 7);  // heap, fsm and vm
  return WalPayload().MainData(data).Bytes();
}

std::string DatabaseCreate(uint32_t database, uint32_t tablespace) {
  std::string data;
  testing::PutWal(data, database);
  testing::PutWal(data, tablespace);
  testing::PutWal<uint32_t>(data, 1);     // template1
  testing::PutWal<uint32_t>(data, 1663);  // its tablespace
  return WalPayload().MainData(data).Bytes();
}

std::string ParameterChange(int32_t wal_level) {
  std::string data;
  for (int32_t value : {100, 8, 10, 0, 64, wal_level})
    testing::PutWal(data, value);
  data.append(2, '\0');
  return WalPayload().MainData(data).Bytes();
}

TEST(WalBlockRefsTest, ChangesWithoutBlockReferencesAreReadWhole) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmgrSmgr, 0x20 | 0x01, SmgrTruncate(kTable));
  wal.Append(kRmgrDbase, 0x00 | 0x01, DatabaseCreate(16400, 1663));
  wal.Append(0, 0x60, ParameterChange(1));  // to replica: harmless
  // A commit dropping relation files (flagged too): they are gone, nothing to read.
  wal.Append(1, 0x00 | 0x01, WalPayload().MainData("commit dropping files").Bytes());
  const uint64_t to = wal.position();

  WalBlockReferenceReader reader(from, to);
  auto status = Feed(reader, wal, 1);
  ASSERT_TRUE(status.ok()) << status.ToString();
  const ChangedBlocks& changed = reader.Blocks();
  EXPECT_TRUE(changed.MayHaveChanged(kTable, 123456));
  EXPECT_TRUE(changed.MayHaveChanged(kTableVm, 0));
  EXPECT_FALSE(changed.MayHaveChanged(kOther, 0));
  EXPECT_TRUE(changed.MayHaveChanged({1663, 16400, 1259, ForkNumber::kMain}, 3));
  EXPECT_FALSE(changed.MayHaveChanged({1664, 16400, 1259, ForkNumber::kMain}, 3));
  EXPECT_EQ(changed.BlockCount(), 0u);
}

TEST(WalBlockRefsTest, WalLevelMinimalMakesTrackingUnsafe) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(kRmHeap, 0, HeapRecord(kTable, 1));
  wal.Append(0, 0x60, ParameterChange(0));
  const uint64_t to = wal.position();

  WalBlockReferenceReader reader(from, to);
  auto status = Feed(reader, wal, 1);
  EXPECT_EQ(status.code(), core::ErrorCode::kSafetyStop) << status.ToString();
  EXPECT_NE(status.message().find("minimal"), std::string::npos);
  EXPECT_FALSE(reader.Covered());
}

TEST(WalBlockRefsTest, AnUnknownRelationFileChangeMakesTrackingUnsafe) {
  WalBytesBuilder wal(kFirst);
  const uint64_t from = wal.Append(130, 0x10 | 0x01, HeapRecord(kTable, 1));  // a custom rmgr
  const uint64_t to = wal.position();

  WalBlockReferenceReader reader(from, to);
  EXPECT_EQ(Feed(reader, wal, 1).code(), core::ErrorCode::kSafetyStop);
}

TEST(WalBlockRefsTest, MalformedBlockHeadersAreAnError) {
  WalBytesBuilder wal(kFirst);
  // Block ids must rise; the same relation needs one before it.
  const uint64_t from =
      wal.Append(kRmHeap, 0, WalPayload().Block(1, kTable, 1).Block(0, kTable, 2).Bytes());
  WalBlockReferenceReader reader(from, wal.position());
  EXPECT_EQ(Feed(reader, wal, 1).code(), core::ErrorCode::kCorruption);

  WalBytesBuilder same_rel(kFirst);
  const uint64_t start =
      same_rel.Append(kRmHeap, 0, WalPayload().Block(0, kTable, 1, "d", /*same_rel=*/true).Bytes());
  WalBlockReferenceReader second(start, same_rel.position());
  EXPECT_EQ(Feed(second, same_rel, 1).code(), core::ErrorCode::kCorruption);
}

TEST(WalBlockRefsTest, AnEmptyIntervalIsCoveredWithoutWal) {
  WalBlockReferenceReader reader(kFirst + 40, kFirst + 40);
  EXPECT_TRUE(reader.Covered());
  EXPECT_EQ(reader.RecordCount(), 0u);
}

TEST(WalBlockRefsTest, RelationFileOfKnowsTheDataDirectoryForms) {
  auto base = RelationFileOf("base/5/16384");
  ASSERT_TRUE(base.has_value());
  EXPECT_EQ(base->fork, (RelationFork{1663, 5, 16384, ForkNumber::kMain}));
  EXPECT_EQ(base->first_block, 0u);

  auto vm = RelationFileOf("base/5/16384_vm");
  ASSERT_TRUE(vm.has_value());
  EXPECT_EQ(vm->fork.fork, ForkNumber::kVisibilityMap);
  EXPECT_EQ(RelationFileOf("base/5/16384_fsm")->fork.fork, ForkNumber::kFsm);
  EXPECT_EQ(RelationFileOf("base/5/16384_init")->fork.fork, ForkNumber::kInit);

  auto segment = RelationFileOf("base/5/16384.2");
  ASSERT_TRUE(segment.has_value());
  EXPECT_EQ(segment->first_block, 2u * 131072);
  EXPECT_EQ(RelationFileOf("base/5/16384_fsm.1")->first_block, 131072u);

  auto global = RelationFileOf("global/1262");
  ASSERT_TRUE(global.has_value());
  EXPECT_EQ(global->fork, (RelationFork{1664, 0, 1262, ForkNumber::kMain}));

  auto spc = RelationFileOf("pg_tblspc/16390/PG_15_202209061/5/16400.1");
  ASSERT_TRUE(spc.has_value());
  EXPECT_EQ(spc->fork, (RelationFork{16390, 5, 16400, ForkNumber::kMain}));
  EXPECT_EQ(spc->first_block, 131072u);

  for (const char* other :
       {"global/pg_control", "global/pg_filenode.map", "base/5/PG_VERSION",
        "base/5/pg_filenode.map", "base/5/pg_internal.init", "pg_xact/0000", "base/5/t3_16384",
        "base/5/16384_xx", "base/5/16384.0", "base/5/16384.", "base/05/16384", "base/5/16384.40000",
        "base/5", "pg_tblspc/16390/5/16400", "pg_wal/000000010000000000000003", "base/pgsql_tmp/x",
        "postgresql.conf", ""})
    EXPECT_FALSE(RelationFileOf(other).has_value()) << other;
}

TEST(WalBlockRefsTest, ChangedBlocksAnswersPerBlockForkRelationAndDatabase) {
  ChangedBlocks changed;
  changed.Add(kTable, 3);
  changed.Add(kTable, 3);
  changed.Add(kTableVm, 3);
  EXPECT_EQ(changed.BlockCount(), 2u);
  EXPECT_TRUE(changed.MayHaveChanged(kTable, 3));
  EXPECT_FALSE(changed.MayHaveChanged(kTable, 4));
  EXPECT_FALSE(changed.MayHaveChanged({1663, 5, 16384, ForkNumber::kFsm}, 3));

  changed.MarkWhole({1663, 5, 16384, ForkNumber::kFsm});
  EXPECT_TRUE(changed.MayHaveChanged({1663, 5, 16384, ForkNumber::kFsm}, 99));
  EXPECT_FALSE(changed.MayHaveChanged(kTable, 99));  // only that fork

  changed.MarkRelationWhole(1663, 5, 16390);
  EXPECT_TRUE(changed.MayHaveChanged(kOther, 7));
  EXPECT_TRUE(changed.MayHaveChanged({1663, 5, 16390, ForkNumber::kInit}, 0));
  EXPECT_FALSE(changed.MayHaveChanged({1663, 6, 16390, ForkNumber::kMain}, 7));

  changed.MarkDatabaseWhole(1663, 7);
  EXPECT_TRUE(changed.MayHaveChanged({1663, 7, 1, ForkNumber::kMain}, 1));
  EXPECT_FALSE(changed.MayHaveChanged({16390, 7, 1, ForkNumber::kMain}, 1));
  EXPECT_EQ(changed.BlockCount(), 2u);  // whole marks are not blocks
}

}  // namespace
}  // namespace hasteward::engine::postgres
