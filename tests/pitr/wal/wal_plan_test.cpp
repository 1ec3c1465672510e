// The restore plan across a timeline switch, over a real local repository holding an archive laid
// out as a switchover leaves it: timeline 1's segments up to the one before the switch, timeline
// 2's history file and its segments from the one holding the switch on (PostgreSQL archiving).
#include "pitr/wal/wal_plan.h"

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sys/time.h>

#include "catalog/wal/wal_catalog.h"
#include "pitr/wal/wal_archive.h"
#include "pitr/wal/wal_dir_test.h"
#include "pitr/wal/wal_supply.h"

namespace hasteward::pitr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace wal_plan_test {
namespace {

constexpr uint64_t kSegment = uint64_t{16} * 1024 * 1024;

class PitrPlanTest : public WalDirTest {
 protected:
  void SetUp() override {
    SetUpWalDir("hs-plan-test-", "plan");
    // The base is consistent in segment 3 of timeline 1; the switchover happened in segment 6.
    base_.timeline = 1;
    base_.start = 3 * kSegment;
    base_.stop = 3 * kSegment + 0x100;
  }

  // Queues the file (.ready) as the server does; Plan() stores everything queued.
  void Queue(const std::string& name, const std::string& content) {
    last_ = WriteWalFile(name, content, true);
  }

  void QueueSegment(uint32_t timeline, uint64_t segment) {
    std::string name = archiving_->SegmentFileName(timeline, segment);
    std::string content(kSegment, static_cast<char>('a' + segment));
    content.replace(0, name.size(), name);
    Queue(name, content);
  }

  // Sets the queued file's modification time (what the server's clock said when it last wrote it).
  void WrittenAt(int64_t unix_seconds) {
    const timeval times[2] = {{unix_seconds, 0}, {unix_seconds, 0}};
    ASSERT_EQ(::utimes(last_.c_str(), times), 0);
  }

  // Archives the queued files, then plans the restore of the base to `target`.
  core::Result<PointPlan> Plan(const PointTarget& target) { return Plan(target, {base_}); }
  core::Result<PointPlan> Plan(const PointTarget& target,
                               const std::vector<catalog::BaseBackup>& bases,
                               const std::set<std::pair<uint32_t, uint64_t>>& streamed = {}) {
    HS_TRY(PushWal(*repo_, cluster_, *archiving_, last_, WalPushOptions{}).status());
    HS_TRY(repo_->LoadIndex());
    HS_ASSIGN_OR_RETURN(catalog::WalCatalog catalog,
                        catalog::WalCatalog::Load(*repo_, cluster_, *archiving_));
    HS_TRY(catalog.LoadHistories(*repo_, *archiving_));
    catalog_ = std::move(catalog);
    return PlanPoint(bases, *catalog_, *archiving_, target, cluster_, streamed);
  }

  // The names of the files a streamed WAL supply sends for `plan` (the last Plan's catalog).
  std::vector<std::string> Replayed(const PointPlan& plan) const {
    std::vector<std::string> names;
    for (const catalog::ArchivedFile* file : ReplayedFiles(plan, *catalog_, *archiving_)) {
      names.push_back(file->file.name);
    }
    return names;
  }

  catalog::BaseBackup base_;
  std::optional<catalog::WalCatalog> catalog_;
  std::string last_;
};

TEST_F(PitrPlanTest, TheEndOfTheArchiveIsTheNewestSegmentOfTheNewTimeline) {
  for (uint64_t segment = 3; segment <= 5; ++segment) {
    QueueSegment(1, segment);
  }
  Queue("00000002.history", "1\t0/6000100\tno recovery target specified\n");
  QueueSegment(2, 6);
  QueueSegment(2, 7);
  PointTarget target;
  target.kind = engine::RecoveryTargetKind::kEndOfArchive;
  auto plan = Plan(target);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->timeline, 2u);
  EXPECT_EQ(plan->last_timeline, 2u);
  EXPECT_EQ(plan->last_segment, 7u);
  EXPECT_EQ(plan->target, "0/7000000");
}

// The synchronous receiver holds the segment after the archive's last whole one in pieces: a
// replay to the end of the archive (a DR activation) continues through it, also when it is the
// base's own first segment; a time or position target does not, and without pieces the archive
// ends before it (the refusal a DR activation right after a base met before).
TEST_F(PitrPlanTest, TheEndOfTheArchiveContinuesThroughTheReceiversStreamedSegments) {
  PointTarget end;
  end.kind = engine::RecoveryTargetKind::kEndOfArchive;
  QueueSegment(1, 2);  // before the base: the base's own segment 3 is not archived whole yet
  auto refused = Plan(end);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("the archive ends before '000000010000000000000003'"),
            std::string::npos)
      << refused.status().ToString();
  auto planned = Plan(end, {base_}, {{1, 3}, {1, 4}, {1, 9}});
  ASSERT_TRUE(planned.ok()) << planned.status().ToString();
  EXPECT_EQ(planned->last_timeline, 1u);
  EXPECT_EQ(planned->last_segment, 4u) << "segment 9 is past a hole";
  PointTarget position;
  position.kind = engine::RecoveryTargetKind::kPosition;
  position.position = 3 * kSegment + 0x200;
  EXPECT_FALSE(Plan(position, {base_}, {{1, 3}}).ok())
      << "a point inside the pieces is not planned (yet): only the end of the archive";
}

TEST_F(PitrPlanTest, APositionOnTheNewTimelineNeedsItsCopyOfTheSwitchSegment) {
  for (uint64_t segment = 3; segment <= 6; ++segment) {
    QueueSegment(1, segment);  // timeline 1's own segment 6 does not hold timeline 2's records
  }
  Queue("00000002.history", "1\t0/6000100\tno recovery target specified\n");
  QueueSegment(2, 7);
  PointTarget target;
  target.kind = engine::RecoveryTargetKind::kPosition;
  target.position = 7 * kSegment + 0x10;
  auto plan = Plan(target);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(plan.status().message().find("000000020000000000000006"), std::string::npos)
      << plan.status().ToString();
  // Before the switch the old timeline's segments suffice, and replay still names timeline 2.
  target.position = 5 * kSegment + 0x10;
  plan = Plan(target);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->timeline, 2u);
  EXPECT_EQ(plan->last_timeline, 1u);
  EXPECT_EQ(plan->last_segment, 5u);
}

// After a restore of an older base (timeline 2 forked from timeline 1 at 0/4000100), a newer base
// of the abandoned history (timeline 1, consistent at 0/5000100) precedes a position by LSN, but
// the target means the live history: the base on it is chosen, and replay follows timeline 2.
// Before, the abandoned base was chosen and replay followed timeline 1 (the property test's seed
// 2586: exit 0 with the abandoned history's rows).
TEST_F(PitrPlanTest, ABaseOfTheHistoryARestoreAbandonedIsNeverChosen) {
  for (uint64_t segment = 3; segment <= 5; ++segment) {
    QueueSegment(1, segment);
  }
  Queue("00000002.history", "1\t0/4000100\tno recovery target specified\n");
  for (uint64_t segment = 4; segment <= 6; ++segment) {
    QueueSegment(2, segment);
  }
  catalog::BaseBackup live = base_;  // timeline 1, consistent in segment 3: before the fork
  live.snapshot.id[0] = 1;
  catalog::BaseBackup abandoned;
  abandoned.snapshot.id[0] = 2;
  abandoned.timeline = 1;
  abandoned.start = 5 * kSegment;
  abandoned.stop = 5 * kSegment + 0x100;
  PointTarget target;
  target.kind = engine::RecoveryTargetKind::kPosition;
  target.position = 6 * kSegment + 0x10;
  auto plan = Plan(target, {live, abandoned});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->base.snapshot.id, live.snapshot.id);
  EXPECT_EQ(plan->timeline, 2u);
  // A base on the live timeline itself, after the fork, is the newest choice.
  catalog::BaseBackup after_fork;
  after_fork.snapshot.id[0] = 3;
  after_fork.timeline = 2;
  after_fork.start = 5 * kSegment;
  after_fork.stop = 5 * kSegment + 0x200;
  plan = Plan(target, {live, abandoned, after_fork});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->base.snapshot.id, after_fork.snapshot.id);
}

TEST_F(PitrPlanTest, SegmentsOfANewerTimelineWithoutItsHistoryRefuse) {
  for (uint64_t segment = 3; segment <= 5; ++segment) {
    QueueSegment(1, segment);
  }
  QueueSegment(2, 6);
  PointTarget target;
  target.kind = engine::RecoveryTargetKind::kEndOfArchive;
  auto plan = Plan(target);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(plan.status().message().find("00000002.history"), std::string::npos)
      << plan.status().ToString();
}

// Issue 30: a restore killed after its server promoted leaves the new timeline's history file
// archived and none of its segments. The rerun's target lies in the old timeline's copy of the
// segment holding the switch, which PostgreSQL reads when the new timeline's copy is missing:
// the plan follows the old timeline alone, and its proof counts only what precedes the switch.
// Once the new timeline's copy is archived, the server reads that one, and so does the plan.
TEST_F(PitrPlanTest, ATimeTargetBeforeASwitchWhoseSegmentTheNewTimelineLacksFollowsTheOldOne) {
  constexpr int64_t kT0 = 1800000000;
  for (uint64_t segment = 3; segment <= 6; ++segment) {
    QueueSegment(1, segment);
    WrittenAt(kT0 + 100 * static_cast<int64_t>(segment));
  }
  Queue("00000002.history", "1\t0/6000100\tbefore 2026-11-25 10:00:00+00\n");
  PointTarget target;
  target.kind = engine::RecoveryTargetKind::kTime;
  target.time = repo::GoTime{kT0 + 550, 0, 0};
  auto plan = Plan(target);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->timeline, 1u);
  EXPECT_EQ(plan->last_timeline, 1u);
  EXPECT_EQ(plan->last_segment, 6u);
  EXPECT_EQ(plan->stop_before_switch, std::optional<uint64_t>(6 * kSegment + 0x100));

  QueueSegment(2, 6);
  WrittenAt(kT0 + 650);
  plan = Plan(target);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->timeline, 2u);
  EXPECT_EQ(plan->last_timeline, 2u);
  EXPECT_EQ(plan->last_segment, 6u);
  EXPECT_FALSE(plan->stop_before_switch.has_value());

  // Killed again, after a restore along timeline 2 promoted into 3: timeline 2's copy is read.
  Queue("00000003.history", "1\t0/6000100\tbefore\n2\t0/6000200\tbefore\n");
  plan = Plan(target);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->timeline, 2u);
  EXPECT_EQ(plan->last_timeline, 2u);
  EXPECT_EQ(plan->last_segment, 6u);
  EXPECT_EQ(plan->stop_before_switch, std::optional<uint64_t>(6 * kSegment + 0x200));
}

// Issue finding 3: the base for a time target was the newest whose snapshot time (when the backup
// job started, on the backing-up host's clock) preceded the target. A base started before the
// target but consistent only after it cannot stop there: PostgreSQL refuses the target, after the
// data directory was replaced. The base is now the newest whose stop segment the server last
// wrote before the target.
TEST_F(PitrPlanTest, ATimeTargetTakesTheNewestBaseConsistentBeforeItNotStartedBeforeIt) {
  constexpr int64_t kT0 = 1800000000;
  QueueSegment(1, 3);
  WrittenAt(kT0 + 100);  // the early base's stop segment
  QueueSegment(1, 4);
  WrittenAt(kT0 + 250);
  QueueSegment(1, 5);
  WrittenAt(kT0 + 300);  // the late base's stop segment
  base_.snapshot.time = repo::GoTime{kT0 + 50, 0, 0};
  catalog::BaseBackup late;
  late.snapshot.time = repo::GoTime{kT0 + 150, 0, 0};  // started before the target
  late.timeline = 1;
  late.start = 4 * kSegment;
  late.stop = 5 * kSegment + 0x100;  // consistent after it
  PointTarget target;
  target.kind = engine::RecoveryTargetKind::kTime;
  target.time = repo::GoTime{kT0 + 200, 0, 0};
  auto plan = Plan(target, {base_, late});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->base.start, base_.start) << "the late base is consistent only after the target";
  EXPECT_EQ(plan->last_segment, 4u);

  target.time = repo::GoTime{kT0 + 301, 0, 0};
  auto after_both = Plan(target, {base_, late});
  // Past the archive's last write: no segment reaches it (refused), whichever base.
  EXPECT_FALSE(after_both.ok());
}

// What a restore streams to a server that cannot fetch from the repository itself (a pod,
// pitr/wal/wal_supply.h): the history files and the segments replay reads along the path, from
// the base's first segment to the plan's last, never a copy the path does not read nor a segment
// past the target.
TEST_F(PitrPlanTest, ReplayedFilesAreThePathsSegmentsUpToTheLastAndItsHistory) {
  for (uint64_t segment = 3; segment <= 6; ++segment) {
    QueueSegment(1, segment);  // timeline 1's copy of 6 is not what replay along 2 reads
  }
  Queue("00000002.history", "1\t0/6000100\tno recovery target specified\n");
  for (uint64_t segment = 6; segment <= 8; ++segment) {
    QueueSegment(2, segment);
  }
  PointTarget target;
  target.kind = engine::RecoveryTargetKind::kPosition;
  target.position = 7 * kSegment + 0x10;
  auto plan = Plan(target);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(Replayed(*plan),
            (std::vector<std::string>{"00000002.history", "000000010000000000000003",
                                      "000000010000000000000004", "000000010000000000000005",
                                      "000000020000000000000006", "000000020000000000000007"}));
  // Before the switch: timeline 1's segments only, and the history of the timeline replay names.
  target.position = 4 * kSegment + 0x10;
  plan = Plan(target);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(Replayed(*plan),
            (std::vector<std::string>{"00000002.history", "000000010000000000000003",
                                      "000000010000000000000004"}));
}

}  // namespace
}  // namespace wal_plan_test
}  // namespace hasteward::pitr
