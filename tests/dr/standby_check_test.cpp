// One discovery against a real local repository: the conditions, the exit code, a wrong
// password, and transition times kept in the state file from one run to the next.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/byte_stream.h"
#include "core/temp_dir.h"
#include "dr/dr.h"
#include "jobs/jobs.h"
#include "repo/backup/snapshot_writer.h"
#include "storage/local/local_backend.h"

namespace hasteward::dr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace standby_check_test {
namespace {

constexpr char kPassword[] = "standby-test";

class StandbyCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(
        std::move(core::TempDir::Create("hs-standby-check-").value()));
    repo::InitOptions init;
    init.kdf = repo::KdfParams{1024, 8, 1};  // fast for tests
    auto repository = repo::Repository::Init(
        std::make_unique<storage::LocalBackend>(dir_->path() + "/repo"), kPassword, init);
    ASSERT_TRUE(repository.ok()) << repository.status().ToString();
    repo_ = std::move(*repository);
    spec_.name = "shop-dr";
    spec_.source.repository = dir_->path() + "/repo";
    spec_.source.password_file = dir_->path() + "/password";
    spec_.source.ns = "pt";
    spec_.source.name = "shop";
    spec_.state_file = dir_->path() + "/state/standby.json";
    WritePassword(std::string(kPassword) + "\n");
  }

  void WritePassword(const std::string& password) {
    ASSERT_TRUE(
        core::WriteFileAtomically(spec_.source.password_file, core::AsBytes(password)).ok());
  }

  // A native backup of the source cluster (a dump file stands in for its tree) stored by the real
  // writer at the clock's time.
  void Backup() {
    repo::SnapshotWriterOptions options;
    options.clock = &clock_;
    auto writer = repo::SnapshotWriter::Open(*repo_, options);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    std::string dump = "-- dump\n";
    core::MemorySource source(core::Bytes(dump.begin(), dump.end()));
    ASSERT_TRUE((*writer)->AddFile("pt/shop/dump.sql", source, {}, {}).ok());
    repo::CommitOptions commit;
    commit.tags = jobs::SnapshotTags(spec_.SourceCluster(), repo::SnapshotType::kBackup, "");
    commit.tags.emplace_back("method=native");  // what an activation restores
    ASSERT_TRUE((*writer)->Commit(commit).ok());
  }

  StandbyReport Check() {
    auto report = CheckStandby(spec_, CheckOptions{&clock_});
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : StandbyReport{};
  }

  static const Condition& Get(const StandbyReport& report, ConditionType type) {
    static const Condition kMissing;
    const Condition* condition = FindCondition(report.conditions, type);
    return condition != nullptr ? *condition : kMissing;
  }

  core::ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1800000000))};
  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<repo::Repository> repo_;
  StandbySpec spec_;
};

TEST_F(StandbyCheckTest, AWrongPasswordIsBucketReadableFalseWithTheReason) {
  WritePassword("not-the-password\n");
  StandbyReport report = Check();
  EXPECT_FALSE(report.readable);
  EXPECT_EQ(Get(report, ConditionType::kBucketReadable).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(report, ConditionType::kBucketReadable).reason, "WrongPassword");
  EXPECT_EQ(Get(report, ConditionType::kStale).status, ConditionStatus::kUnknown);
  EXPECT_EQ(report.ExitCode(), core::ErrorCode::kWrongPassword);
}

TEST_F(StandbyCheckTest, AMissingPasswordFileIsBucketReadableFalse) {
  spec_.source.password_file = dir_->path() + "/missing";
  StandbyReport report = Check();
  EXPECT_EQ(Get(report, ConditionType::kBucketReadable).reason, "PasswordFileUnreadable");
}

TEST_F(StandbyCheckTest, FindsTheBackupAndReportsItUnverified) {
  StandbyReport empty = Check();
  EXPECT_EQ(Get(empty, ConditionType::kSourceConfigKnown).status, ConditionStatus::kFalse);
  EXPECT_EQ(empty.ExitCode(), core::ErrorCode::kNotFound);
  Backup();
  StandbyReport report = Check();
  EXPECT_TRUE(report.readable);
  EXPECT_EQ(Get(report, ConditionType::kBucketReadable).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(report, ConditionType::kSourceConfigKnown).status, ConditionStatus::kTrue);
  ASSERT_TRUE(report.discovery.newest_backup.has_value());
  EXPECT_TRUE(report.discovery.newest_backup->end_recorded);
  EXPECT_EQ(Get(report, ConditionType::kRestorable).status, ConditionStatus::kFalse);
  EXPECT_EQ(Get(report, ConditionType::kStale).reason, "BackupsOnly");
  EXPECT_EQ(report.ExitCode(), core::ErrorCode::kHealthDegraded);
  EXPECT_EQ(report.ToJson()["conditions"].size(), 5U);
}

TEST_F(StandbyCheckTest, WritesTheCursorThatPinsTheBackupItFound) {
  Backup();
  spec_.cursor.ttl = std::chrono::minutes(10);
  StandbyReport report = Check();
  ASSERT_TRUE(report.cursor.written) << report.cursor.error.ToString();
  auto reads = repo::LoadStandbyCursors(*repo_);
  ASSERT_TRUE(reads.ok());
  ASSERT_EQ(reads->size(), 1U);
  ASSERT_TRUE(reads->front().cursor.has_value()) << reads->front().error.ToString();
  const repo::StandbyCursor& cursor = *reads->front().cursor;
  EXPECT_EQ(cursor.backup_id, report.discovery.newest_backup->id);
  EXPECT_EQ(cursor.ClusterKey(), "cnpg/pt/shop");
  EXPECT_EQ(cursor.written_unix, 1800000000);
  EXPECT_EQ(cursor.ttl_seconds, 600);
  EXPECT_EQ(cursor.position_kind, repo::CursorPositionKind::kNone);  // a dump replays nothing
  EXPECT_EQ(report.ToJson()["cursor"]["expires"], "2027-01-15T08:10:00Z");
}

TEST_F(StandbyCheckTest, WritesNoCursorWhenTheDeclarationSaysSo) {
  Backup();
  spec_.cursor.write = false;
  StandbyReport report = Check();
  EXPECT_FALSE(report.cursor.written);
  EXPECT_EQ(report.cursor.skipped, "cursor.write is false");
  EXPECT_TRUE(repo::LoadStandbyCursors(*repo_)->empty());
}

// Each CheckStandby is a new run reading the state file: an unchanged status keeps its time.
TEST_F(StandbyCheckTest, TransitionTimesSurviveRuns) {
  Backup();
  StandbyReport first = Check();
  int64_t readable_since = Get(first, ConditionType::kBucketReadable).last_transition;
  EXPECT_EQ(readable_since, 1800000000);
  clock_.Advance(std::chrono::hours(49));  // past maxStaleness (48h): Stale
  StandbyReport second = Check();
  EXPECT_EQ(Get(second, ConditionType::kBucketReadable).last_transition, readable_since);
  EXPECT_EQ(Get(second, ConditionType::kStale).status, ConditionStatus::kTrue);
  EXPECT_EQ(Get(second, ConditionType::kStale).reason, "SourceSilent");
  EXPECT_EQ(Get(second, ConditionType::kStale).last_transition, 1800000000 + 49 * 3600);
}

}  // namespace
}  // namespace standby_check_test
}  // namespace hasteward::dr
