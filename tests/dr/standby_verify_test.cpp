// The standby's own verification against a real local repository, with the scratch restore
// replaced by a recording fake (the real one is driven end to end in
// tests/integration/standby_verify_test.cpp): the gate of seed 003, the record in the state file,
// Restorable from it, and nothing written to the source's repository.
#include "dr/standby_verify.h"

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/byte_stream.h"
#include "core/temp_dir.h"
#include "dr/dr.h"
#include "dr/standby_state.h"
#include "jobs/jobs.h"
#include "repo/backup/snapshot_writer.h"
#include "storage/local/local_backend.h"

namespace hasteward::dr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace standby_verify_test {
namespace {

constexpr char kPassword[] = "standby-test";

class StandbyVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(
        std::move(core::TempDir::Create("hs-standby-verify-").value()));
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
    ASSERT_TRUE(core::WriteFileAtomically(spec_.source.password_file,
                                          core::AsBytes(std::string(kPassword) + "\n"))
                    .ok());
  }

  // A native backup of the source cluster (a dump file stands in for its tree) at the clock's time;
  // returns its hex ID.
  std::string Backup() {
    repo::SnapshotWriterOptions options;
    options.clock = &clock_;
    auto writer = repo::SnapshotWriter::Open(*repo_, options);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    std::string dump = "-- dump " + std::to_string(clock_.NowUnixSeconds()) + "\n";
    core::MemorySource source(core::Bytes(dump.begin(), dump.end()));
    EXPECT_TRUE((*writer)->AddFile("pt/shop/dump.sql", source, {}, {}).ok());
    repo::CommitOptions commit;
    commit.tags = jobs::SnapshotTags(spec_.SourceCluster(), repo::SnapshotType::kBackup, "");
    commit.tags.emplace_back("method=native");  // what an activation restores
    auto summary = (*writer)->Commit(commit);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    clock_.Advance(std::chrono::minutes(10));
    return summary.ok() ? repo::IdToHex(summary->snapshot_id) : "";
  }

  // Verifies with a fake restore that records what it was given and answers `next_`.
  StandbyVerifyOutcome Verify(bool force = false, bool retry_due = false) {
    StandbyVerifyOptions options;
    options.clock = &clock_;
    options.force = force;
    options.retry_due = [retry_due](int64_t) {
      return retry_due;
    };
    options.verifier = [this](repo::Repository&,
                              const repo::Snapshot& backup) -> core::Result<ScratchVerdict> {
      restored_.push_back(repo::IdToHex(backup.id));
      return next_;
    };
    auto outcome = VerifyStandby(spec_, options);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    clock_.Advance(std::chrono::minutes(1));
    return outcome.ok() ? *outcome : StandbyVerifyOutcome{};
  }

  static const Condition& Restorable(const std::vector<Condition>& conditions) {
    static const Condition kMissing;
    const Condition* condition = FindCondition(conditions, ConditionType::kRestorable);
    return condition != nullptr ? *condition : kMissing;
  }

  std::set<std::string> RepositoryFiles() const {
    std::set<std::string> files;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(dir_->path() + "/repo")) {
      files.insert(entry.path().string());
    }
    return files;
  }

  core::ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1800000000))};
  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<repo::Repository> repo_;
  StandbySpec spec_;
  std::vector<std::string> restored_;
  core::Result<ScratchVerdict> next_ = ScratchVerdict{true, {}, 42};
};

TEST_F(StandbyVerifyTest, VerifiesTheNewestBackupOnceRecordsItAndWritesNothingToTheSource) {
  Backup();
  std::string newest = Backup();
  auto files = RepositoryFiles();
  StandbyVerifyOutcome first = Verify();
  EXPECT_TRUE(first.gate.run);
  EXPECT_EQ(first.gate.reason, GateReason::kNeverVerified);
  EXPECT_EQ(restored_, std::vector<std::string>{newest});
  ASSERT_TRUE(first.record.has_value());
  EXPECT_EQ(first.record->result, VerificationResult::kPassed);
  EXPECT_EQ(Restorable(first.conditions).reason, "Verified");
  EXPECT_EQ(first.ExitCode(), core::ErrorCode::kOk);
  EXPECT_EQ(RepositoryFiles(), files) << "the source's repository must not be written";
  auto state = LoadStandbyState(spec_.state_file);
  ASSERT_TRUE(state.ok() && state->verification.has_value());
  EXPECT_EQ(state->verification->snapshot_id, newest);
  StandbyVerifyOutcome second = Verify();
  EXPECT_FALSE(second.gate.run);
  EXPECT_EQ(second.gate.reason, GateReason::kAlreadyVerified);
  EXPECT_EQ(restored_.size(), 1U) << "gated: nothing restored again";
  EXPECT_EQ(second.ExitCode(), core::ErrorCode::kOk);
}

TEST_F(StandbyVerifyTest, ANewerBackupIsVerifiedAgainAndForceAlwaysRestores) {
  Backup();
  Verify();
  std::string newer = Backup();
  StandbyVerifyOutcome again = Verify();
  EXPECT_EQ(again.gate.reason, GateReason::kNewBackup);
  EXPECT_EQ(restored_.back(), newer);
  StandbyVerifyOutcome forced = Verify(/*force=*/true);
  EXPECT_EQ(forced.gate.reason, GateReason::kForced);
  EXPECT_EQ(restored_.size(), 3U);
}

TEST_F(StandbyVerifyTest, AFailedVerificationIsRetriedOnlyWhenDueAndKeepsRestorableFalse) {
  Backup();
  next_ = ScratchVerdict{false, {"dump is incomplete"}, 7};
  StandbyVerifyOutcome failed = Verify();
  EXPECT_EQ(Restorable(failed.conditions).reason, "VerificationFailed");
  EXPECT_NE(Restorable(failed.conditions).message.find("dump is incomplete"), std::string::npos);
  EXPECT_EQ(failed.ExitCode(), core::ErrorCode::kVerifyFailed);
  StandbyVerifyOutcome not_due = Verify();
  EXPECT_EQ(not_due.gate.reason, GateReason::kRetryNotDue);
  EXPECT_EQ(not_due.ExitCode(), core::ErrorCode::kVerifyFailed);
  EXPECT_EQ(restored_.size(), 1U);
  next_ = ScratchVerdict{true, {}, 7};
  StandbyVerifyOutcome due = Verify(/*force=*/false, /*retry_due=*/true);
  EXPECT_EQ(due.gate.reason, GateReason::kRetryDue);
  EXPECT_EQ(Restorable(due.conditions).reason, "Verified");
}

TEST_F(StandbyVerifyTest, AVerificationThatCannotRunIsRecordedAsErrorWithItsCode) {
  Backup();
  next_ = core::Status(core::ErrorCode::kTimeout, "verification did not finish within 1s");
  StandbyVerifyOutcome outcome = Verify();
  ASSERT_TRUE(outcome.record.has_value());
  EXPECT_EQ(outcome.record->result, VerificationResult::kError);
  EXPECT_EQ(Restorable(outcome.conditions).reason, "VerificationError");
  EXPECT_EQ(outcome.ExitCode(), core::ErrorCode::kTimeout);
}

TEST_F(StandbyVerifyTest, DiscoveryKeepsTheRecordAndReportsRestorableFromIt) {
  Backup();
  Verify();
  auto report = CheckStandby(spec_, CheckOptions{&clock_});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(Restorable(report->conditions).reason, "Verified");
  ASSERT_TRUE(report->verification.has_value());
  EXPECT_EQ(report->ExitCode(), core::ErrorCode::kOk);
  auto state = LoadStandbyState(spec_.state_file);
  ASSERT_TRUE(state.ok() && state->verification.has_value()) << "discovery kept the record";
}

TEST_F(StandbyVerifyTest, NoBackupRestoresNothingAndIsNotFound) {
  StandbyVerifyOutcome outcome = Verify();
  EXPECT_FALSE(outcome.gate.run);
  EXPECT_EQ(outcome.ExitCode(), core::ErrorCode::kNotFound);
  EXPECT_TRUE(restored_.empty());
}

}  // namespace
}  // namespace standby_verify_test
}  // namespace hasteward::dr
