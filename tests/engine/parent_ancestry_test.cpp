// ProveParentAncestry on made-up segments: the parent's stored WAL of its interval against the
// live sources' (pg_wal first, then the archive). Equal bytes in the interval prove it; a byte
// that differs inside it names another history; bytes outside it do not matter; a segment the live
// sources lack is missing WAL, one the parent's tree lacks leaves the ancestry unproven (either
// way the backup reads everything).
#include "engine/postgres/parent_ancestry.h"

#include <map>

#include <gtest/gtest.h>

namespace hasteward::engine::postgres {
namespace parent_ancestry_test {
namespace {

constexpr uint32_t kTimeline = 1;
constexpr uint64_t kSegment = 5;
const uint64_t kSegmentStart = kSegment * kWalSegmentBytes;

class MemorySegment : public WalSegmentReader {
 public:
  explicit MemorySegment(std::string bytes) : bytes_(std::move(bytes)) {}
  core::Result<std::string> Read(uint64_t offset, size_t length) override {
    return bytes_.substr(offset, length);
  }

 private:
  std::string bytes_;
};

class MemorySource : public RangedWalSource {
 public:
  std::string Name() const override { return "memory"; }
  core::Result<std::unique_ptr<WalSegmentReader>> Open(const std::string& name) override {
    auto it = segments.find(name);
    if (it == segments.end())
      return std::unique_ptr<WalSegmentReader>();
    return std::unique_ptr<WalSegmentReader>(std::make_unique<MemorySegment>(it->second));
  }
  std::map<std::string, std::string> segments;
};

std::string Pattern(char seed) {
  std::string bytes(kWalSegmentBytes, '\0');
  for (size_t i = 0; i < bytes.size(); i += 997)
    bytes[i] = static_cast<char>(seed + i % 13);
  return bytes;
}

struct Fixture {
  MemorySource live;
  std::map<std::string, std::string> stored;
  ParentInterval interval{kTimeline, kSegmentStart + 0x1000, kSegmentStart + 0x9000};
  std::string name = WalSegmentFileName(kTimeline, kSegment);

  Fixture() {
    live.segments[name] = Pattern('a');
    stored["pg_wal/" + name] = Pattern('a');
  }
  AncestryVerdict Prove() {
    ParentFileReader reader =
        [this](const std::string& path) -> core::Result<std::optional<std::string>> {
      auto it = stored.find(path);
      if (it == stored.end())
        return std::optional<std::string>();
      return std::optional<std::string>(it->second);
    };
    return ProveParentAncestry(interval, {&live}, reader);
  }
};

TEST(ParentAncestryTest, TheSameWalInTheParentsIntervalProvesIt) {
  Fixture f;
  EXPECT_EQ(f.Prove().reason, FullReadReason::kNone) << f.Prove().detail;
}

TEST(ParentAncestryTest, AByteThatDiffersInsideTheIntervalIsAnotherHistory) {
  Fixture f;
  f.live.segments[f.name][0x8FFF] ^= 1;
  AncestryVerdict verdict = f.Prove();
  EXPECT_EQ(verdict.reason, FullReadReason::kParentNotAncestor);
  EXPECT_NE(verdict.detail.find(f.name), std::string::npos) << verdict.detail;
}

TEST(ParentAncestryTest, BytesOutsideTheIntervalDoNotMatter) {
  // Past the parent's stop the live server wrote on (and the parent padded its copy with zeros).
  Fixture f;
  f.live.segments[f.name][0x9000] ^= 1;
  f.live.segments[f.name][0x0FFF] ^= 1;
  EXPECT_EQ(f.Prove().reason, FullReadReason::kNone);
}

TEST(ParentAncestryTest, AnIntervalOverTwoSegmentsComparesBoth) {
  Fixture f;
  std::string next = WalSegmentFileName(kTimeline, kSegment + 1);
  f.live.segments[next] = Pattern('q');
  f.stored["pg_wal/" + next] = Pattern('q');
  f.interval.stop_lsn = kSegmentStart + kWalSegmentBytes + 0x2000;
  EXPECT_EQ(f.Prove().reason, FullReadReason::kNone);
  f.live.segments[next][0x1FFF] ^= 1;
  EXPECT_EQ(f.Prove().reason, FullReadReason::kParentNotAncestor);
}

TEST(ParentAncestryTest, ASegmentEitherSideLacksLeavesItUnproven) {
  Fixture gone;
  gone.live.segments.clear();
  EXPECT_EQ(gone.Prove().reason, FullReadReason::kWalMissing);
  Fixture unstored;
  unstored.stored.clear();
  EXPECT_EQ(unstored.Prove().reason, FullReadReason::kParentUnproven);
  Fixture no_interval;
  no_interval.interval.stop_lsn = 0;
  EXPECT_EQ(no_interval.Prove().reason, FullReadReason::kParentUnproven);
}

}  // namespace
}  // namespace parent_ancestry_test
}  // namespace hasteward::engine::postgres
