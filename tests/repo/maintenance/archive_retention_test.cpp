// The retention planner's archive seam: pieces of type=wal are decided after the backups, from
// the snapshots the plan keeps, by the ArchiveRetention it is given; without one they stay
// unmanaged. A recording ArchiveRetention shows exactly what the planner asks.
#include "repo/maintenance/archive_retention.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "repo/maintenance/retention_plan.h"

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace archive_retention_test {
namespace {

const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::from_time_t(1900000000);

SnapshotMeta Tagged(const std::string& id, const std::string& time, const std::string& type,
                    const std::string& cluster = "c1") {
  return {id,
          time,
          "host",
          {"/ns1/" + cluster + "/x"},
          {"engine=cnpg", "cluster=" + cluster, "namespace=ns1", "type=" + type}};
}

// Removes every piece whose id is listed; records what it was asked.
class RecordingRetention : public ArchiveRetention {
 public:
  explicit RecordingRetention(std::vector<std::string> remove) : remove_(std::move(remove)) {}
  std::vector<ArchivePieceDecision> Decide(
      const std::string& engine, const std::vector<const SnapshotMeta*>& kept_backups,
      const std::vector<const SnapshotMeta*>& pieces) const override {
    engine_ = engine;
    kept_.clear();
    for (const SnapshotMeta* kept : kept_backups)
      kept_.push_back(kept->id);
    ++calls_;
    std::vector<ArchivePieceDecision> out;
    for (const SnapshotMeta* piece : pieces) {
      bool remove = std::find(remove_.begin(), remove_.end(), piece->id) != remove_.end();
      out.push_back({!remove, remove ? "not needed" : "needed"});
    }
    return out;
  }
  std::vector<std::string> remove_;
  mutable std::string engine_;
  mutable std::vector<std::string> kept_;
  mutable int calls_ = 0;
};

PruneOptions KeepLast(size_t count, const ArchiveRetention* archive) {
  PruneOptions options;
  options.policy.keep_last = static_cast<int>(count);
  options.now = kNow;
  options.archive = archive;
  return options;
}

TEST(ArchiveRetentionTest, PiecesFollowTheKeptBackupsOfTheirCluster) {
  std::vector<SnapshotMeta> snapshots = {
      Tagged("b1", "2026-01-01T00:00:00Z", "backup"), Tagged("w1", "2026-01-01T00:10:00Z", "wal"),
      Tagged("b2", "2026-01-02T00:00:00Z", "backup"), Tagged("w2", "2026-01-02T00:10:00Z", "wal")};
  RecordingRetention archive({"w1"});
  auto plan = PlanRetention(snapshots, KeepLast(1, &archive));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(archive.calls_, 1);
  EXPECT_EQ(archive.engine_, "cnpg");
  // The archive is asked after the backups were decided: only the kept backup is passed.
  EXPECT_EQ(archive.kept_, std::vector<std::string>{"b2"});
  std::vector<std::string> removed = plan->RemoveIds();
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{"b1", "w1"}));
  ASSERT_EQ(plan->groups.size(), 2u);
  EXPECT_EQ(plan->groups[1].type, SnapshotType::kWal);
  EXPECT_EQ(plan->groups[1].Key(), "cnpg/ns1/c1/wal");
  EXPECT_EQ(plan->groups[1].units, 2u);
  EXPECT_EQ(plan->groups[1].kept_units, 1u);
  EXPECT_TRUE(plan->unmanaged.empty());
}

TEST(ArchiveRetentionTest, WithoutAnArchiveRetentionPiecesAreUnmanaged) {
  std::vector<SnapshotMeta> snapshots = {Tagged("b1", "2026-01-01T00:00:00Z", "backup"),
                                         Tagged("w1", "2026-01-01T00:10:00Z", "wal")};
  auto plan = PlanRetention(snapshots, KeepLast(1, nullptr));
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->RemoveIds().empty());
  ASSERT_EQ(plan->unmanaged.size(), 1u);
  EXPECT_EQ(plan->unmanaged[0].id, "w1");
}

TEST(ArchiveRetentionTest, RemovingEveryPieceIsNotAnEmptiedGroup) {
  std::vector<SnapshotMeta> snapshots = {Tagged("b1", "2026-01-01T00:00:00Z", "backup"),
                                         Tagged("w1", "2026-01-01T00:10:00Z", "wal")};
  RecordingRetention archive({"w1"});
  auto plan = PlanRetention(snapshots, KeepLast(1, &archive));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->RemoveIds(), std::vector<std::string>{"w1"});
}

TEST(ArchiveRetentionTest, DivergedPrunesLeaveTheArchiveAlone) {
  std::vector<SnapshotMeta> snapshots = {Tagged("w1", "2026-01-01T00:10:00Z", "wal")};
  RecordingRetention archive({"w1"});
  PruneOptions options = KeepLast(1, &archive);
  options.type = PruneType::kDiverged;
  auto plan = PlanRetention(snapshots, options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(archive.calls_, 0);
  EXPECT_TRUE(plan->RemoveIds().empty());
  EXPECT_EQ(plan->out_of_scope, 1u);
}

TEST(ArchiveRetentionTest, AClusterWithoutBackupsInScopePassesNoKeptBackup) {
  std::vector<SnapshotMeta> snapshots = {Tagged("b1", "2026-01-01T00:00:00Z", "backup", "c1"),
                                         Tagged("w9", "2026-01-01T00:10:00Z", "wal", "c2")};
  RecordingRetention archive({});
  auto plan = PlanRetention(snapshots, KeepLast(1, &archive));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(archive.calls_, 1);
  EXPECT_TRUE(archive.kept_.empty());
  EXPECT_TRUE(plan->RemoveIds().empty());
}

}  // namespace
}  // namespace archive_retention_test
}  // namespace hasteward::repo
