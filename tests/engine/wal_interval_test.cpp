// ReadIntervalPages over crafted 16 MiB segments (wal_bytes_builder.h): from an instance's pg_wal
// (LocalWalSource on real files) it reads only the WAL of the interval, not a switched segment's
// unused rest nor what lies past the interval's end; a segment missing from one source is taken
// from the next; a missing segment, a failing source or a broken record become the reason to read
// every page, never an error.
#include "engine/postgres/wal_interval.h"

#include <map>

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/temp_dir.h"
#include "engine/wal_bytes_builder.h"

namespace hasteward::engine::postgres {
namespace wal_interval_test {  // named: the unity batch shares a file with wal_block_refs_test

using testing::WalBytesBuilder;
using testing::WalPayload;

constexpr uint32_t kTimeline = 1;
constexpr uint64_t kFirstSegment = 3;
constexpr uint64_t kFirst = kFirstSegment * kWalSegmentBytes;
constexpr uint8_t kRmHeap = 10;
const RelationFork kTable{1663, 5, 16384, ForkNumber::kMain};

std::string HeapRecord(uint32_t block) {
  return WalPayload().Block(0, kTable, block).MainData("heap").Bytes();
}

std::string SegmentName(uint64_t index) {
  return WalSegmentFileName(kTimeline, kFirstSegment + index);
}

// A source that gives segments whole from memory (as the WAL archive does), or fails.
class MemoryArchive : public WalSegmentSource {
 public:
  std::string Name() const override { return "the test archive"; }
  core::Result<std::optional<std::string>> ReadSegment(const std::string& file_name) override {
    if (fail)
      return core::StorageError("the repository is unreachable");
    auto it = segments.find(file_name);
    if (it == segments.end())
      return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  std::map<std::string, std::string> segments;
  bool fail = false;
};

// Three segments: records before the interval, the interval's start, a switch that leaves the
// first segment's rest unused, records in the second and third, the interval's end in the third
// (what follows it is never read).
struct ThreeSegments {
  WalBytesBuilder wal{kFirst, static_cast<uint32_t>(kWalSegmentBytes)};
  uint64_t from = 0;
  uint64_t to = 0;

  ThreeSegments() {
    for (uint32_t block = 100; block < 110; ++block)
      wal.Append(kRmHeap, 0, HeapRecord(block));
    from = wal.Append(kRmHeap, 0, HeapRecord(1));
    wal.AppendSwitch();
    wal.Append(kRmHeap, 0, HeapRecord(2));
    wal.AppendSwitch();
    wal.Append(kRmHeap, 0, HeapRecord(3));
    to = wal.Append(kRmHeap, 0, HeapRecord(4));
    wal.Append(kRmHeap, 0, HeapRecord(5));
  }
  std::string Segment(uint64_t index) const {
    return wal.Segment(kFirst + index * kWalSegmentBytes);
  }
};

class WalIntervalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hasteward-wal-interval-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
  }
  void WriteLocal(uint64_t index, const std::string& bytes) {
    ASSERT_TRUE(
        core::WriteFileAtomically(dir_->path() + "/" + SegmentName(index), core::AsBytes(bytes))
            .ok());
  }

  std::unique_ptr<core::TempDir> dir_;
};

TEST_F(WalIntervalTest, ReadsOnlyTheIntervalsWalFromPgWal) {
  ThreeSegments wal;
  for (uint64_t i = 0; i < 3; ++i)
    WriteLocal(i, wal.Segment(i));
  LocalWalSource local(dir_->path());

  IntervalPages pages = ReadIntervalPages(wal.from, wal.to, kTimeline, {&local});
  ASSERT_EQ(pages.reason, FullReadReason::kNone) << pages.detail;
  ASSERT_TRUE(pages.reader);
  const ChangedBlocks& blocks = pages.reader->Blocks();
  EXPECT_TRUE(blocks.MayHaveChanged(kTable, 1));
  EXPECT_TRUE(blocks.MayHaveChanged(kTable, 2));
  EXPECT_TRUE(blocks.MayHaveChanged(kTable, 3));
  EXPECT_FALSE(blocks.MayHaveChanged(kTable, 4));  // starts at the interval's end
  EXPECT_FALSE(blocks.MayHaveChanged(kTable, 100));
  // Three 16 MiB files hold a few pages of it: the first page of each and the pages up to the
  // switches and the end, not 48 MiB.
  EXPECT_GT(pages.wal_bytes_read, 3u * kWalPageBytes - 1);
  EXPECT_LE(pages.wal_bytes_read, 6u * kWalPageBytes);
}

TEST_F(WalIntervalTest, ASegmentPgWalNoLongerHoldsIsTakenFromTheNextSource) {
  ThreeSegments wal;
  WriteLocal(1, wal.Segment(1));
  WriteLocal(2, wal.Segment(2));
  // Recycled: pg_wal holds a file of that name being written anew, still short.
  WriteLocal(0, wal.Segment(0).substr(0, 8192));
  MemoryArchive archive;
  archive.segments[SegmentName(0)] = wal.Segment(0);
  LocalWalSource local(dir_->path());
  WholeSegmentSource whole(archive);

  IntervalPages pages = ReadIntervalPages(wal.from, wal.to, kTimeline, {&local, &whole});
  ASSERT_EQ(pages.reason, FullReadReason::kNone) << pages.detail;
  EXPECT_TRUE(pages.reader->Blocks().MayHaveChanged(kTable, 1));
  EXPECT_TRUE(pages.reader->Blocks().MayHaveChanged(kTable, 3));

  IntervalPages missing = ReadIntervalPages(wal.from, wal.to, kTimeline, {&local});
  EXPECT_EQ(missing.reason, FullReadReason::kWalMissing);
  EXPECT_FALSE(missing.reader);
  EXPECT_NE(missing.detail.find(SegmentName(0)), std::string::npos) << missing.detail;
}

TEST_F(WalIntervalTest, AFailingSourceOrABrokenRecordMeansEveryPageIsRead) {
  ThreeSegments wal;
  MemoryArchive archive;
  for (uint64_t i = 0; i < 3; ++i)
    archive.segments[SegmentName(i)] = wal.Segment(i);
  WholeSegmentSource whole(archive);

  archive.fail = true;
  IntervalPages failed = ReadIntervalPages(wal.from, wal.to, kTimeline, {&whole});
  EXPECT_EQ(failed.reason, FullReadReason::kWalUnreadable);
  EXPECT_NE(failed.detail.find("unreachable"), std::string::npos) << failed.detail;

  archive.fail = false;
  // A flipped byte in the record of the second segment: its CRC fails.
  std::string& second = archive.segments[SegmentName(1)];
  second[kWalLongPageHeaderBytes + 30] ^= 0x01;
  IntervalPages broken = ReadIntervalPages(wal.from, wal.to, kTimeline, {&whole});
  EXPECT_EQ(broken.reason, FullReadReason::kWalUnreadable);
  EXPECT_FALSE(broken.reader);
  EXPECT_NE(broken.detail.find("CRC"), std::string::npos) << broken.detail;
}

}  // namespace wal_interval_test
}  // namespace hasteward::engine::postgres
