// The proof that a replay to the end of the archive consumed the newest archived segment (issue
// finding 4): where replay ended against the segment, and pg_waldump's view of the archived
// segment past that point.
#include "engine/postgres/archive_end_proof.h"

#include <gtest/gtest.h>

namespace hasteward::engine::postgres {
namespace {

constexpr uint64_t kSegment = uint64_t{16} * 1024 * 1024;
constexpr uint64_t kSixStart = 6 * kSegment;

// A segment closed by pg_switch_wal or archive_timeout ends with a switch record, after which
// replay reports the segment's end.
TEST(ArchiveEndProofTest, ReplayAtTheSegmentsEndConsumedIt) {
  EXPECT_EQ(JudgeReplayEnd(kSixStart + kSegment, kSixStart, kSegment), ReplayEndVerdict::kConsumed);
}

// What a fetch that called the newest segment "not archived" left: replay ended after the switch
// record of the segment before, exactly at the newest one's start. The check before this proof
// (replay position >= the segment's start) took that for success.
TEST(ArchiveEndProofTest, ReplayEndingAtTheSegmentsStartNeverReadIt) {
  EXPECT_EQ(JudgeReplayEnd(kSixStart, kSixStart, kSegment), ReplayEndVerdict::kStoppedBefore);
  EXPECT_EQ(JudgeReplayEnd(kSixStart - 40, kSixStart, kSegment), ReplayEndVerdict::kStoppedBefore);
}

TEST(ArchiveEndProofTest, ReplayEndingInsideTheSegmentNeedsItsRecordsRead) {
  EXPECT_EQ(JudgeReplayEnd(kSixStart + 0x2A8, kSixStart, kSegment), ReplayEndVerdict::kReadSegment);
}

TEST(ArchiveEndProofTest, RecordsAfterTheReplayEndAreSeenInWaldumpOutput) {
  EXPECT_TRUE(WaldumpShowsRecords(
      "pg_waldump: first record is after 0/60002A8, at 0/60002B0, skipping over 8 bytes\n"
      "rmgr: Heap        len (rec/tot):     54/    54, tx:        735, lsn: 0/060002B0, prev "
      "0/06000278, desc: INSERT off 3 flags 0x00\n"));
  EXPECT_FALSE(
      WaldumpShowsRecords("pg_waldump: error: could not find a valid record after 0/60002A8\n"));
  EXPECT_FALSE(WaldumpShowsRecords(""));
  EXPECT_FALSE(WaldumpShowsRecords("  rmgr: not at a line's start\n"));
}

// A time target stops replay only at a transaction record at or after it (pg_waldump -r
// Transaction, TZ=UTC): commits, aborts and their prepared forms count, other records do not.
TEST(ArchiveEndProofTest, TransactionsAtOrAfterATimeAreFoundInWaldumpOutput) {
  const std::string dump =
      "rmgr: Transaction len (rec/tot):     34/    34, tx:        735, lsn: 0/03000140, prev "
      "0/03000108, desc: COMMIT 2026-11-25 13:08:37.005541 UTC\n"
      "rmgr: Transaction len (rec/tot):     34/    34, tx:        736, lsn: 0/03000188, prev "
      "0/03000140, desc: ABORT_PREPARED 736: 2026-11-25 13:08:38 UTC\n";
  constexpr int64_t kCommit = int64_t{1795612117} * 1000000 + 5541;  // 13:08:37.005541 UTC
  auto at_or_after = [](int64_t micros) {
    return TransactionQuery{.at_or_after_micros = micros, .reached_before_switch = std::nullopt};
  };
  EXPECT_TRUE(HoldsTransaction(dump, at_or_after(kCommit)));
  EXPECT_TRUE(HoldsTransaction(dump, at_or_after(kCommit + 1)));  // the prepared abort, a second on
  EXPECT_TRUE(HoldsTransaction(dump, at_or_after(kCommit + 994459)));
  EXPECT_FALSE(HoldsTransaction(dump, at_or_after(kCommit + 994460)));
  EXPECT_FALSE(HoldsTransaction(
      "rmgr: XLOG len (rec/tot): 114/114, tx: 0, lsn: 0/03000200, prev 0/03000188, desc: "
      "CHECKPOINT_ONLINE redo 0/30001C8; tli 1; 2026-11-25 13:09:00 UTC\n",
      at_or_after(0)));
}

// The parent timeline's copy of the segment holding a switch: past the switch it holds the future
// the child abandoned. A record counts only when its predecessor begins before the switch (the
// first record at the switch is still read, and stops the replay there).
TEST(ArchiveEndProofTest, PastASwitchOnlyTheFirstRecordAtItCounts) {
  const std::string dump =
      "rmgr: Transaction len (rec/tot):     34/    34, tx:        735, lsn: 0/03000140, prev "
      "0/03000108, desc: COMMIT 2026-11-25 13:08:37 UTC\n"
      "rmgr: Transaction len (rec/tot):     34/    34, tx:        736, lsn: 0/1A000188, prev "
      "0/1A000140, desc: COMMIT 2026-11-25 13:08:39 UTC\n";
  constexpr int64_t kFirst = int64_t{1795612117} * 1000000;  // 13:08:37 UTC
  const TransactionQuery second{.at_or_after_micros = kFirst + 1,
                                .reached_before_switch = 0x1A000140};
  EXPECT_FALSE(HoldsTransaction(dump, second)) << "its predecessor begins at the switch";
  const TransactionQuery first{.at_or_after_micros = kFirst, .reached_before_switch = 0x03000140};
  EXPECT_TRUE(HoldsTransaction(dump, first)) << "it begins where the switch is";
  EXPECT_TRUE(HoldsTransaction(
      dump, {.at_or_after_micros = kFirst + 1, .reached_before_switch = std::nullopt}));
}

TEST(ArchiveEndProofTest, RestoreCommandGetsTheServersSubstitutions) {
  EXPECT_EQ(ExpandRestoreCommand("'/bin/hs' wal-fetch --x 100%% \"%f\" \"%p\" %r",
                                 "0000000100000000"
                                 "00000006",
                                 "/d/pg_wal/x/seg"),
            "'/bin/hs' wal-fetch --x 100% \"000000010000000000000006\" \"/d/pg_wal/x/seg\" %r");
}

}  // namespace
}  // namespace hasteward::engine::postgres
