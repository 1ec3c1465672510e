// The activation driver over fake steps: one persisted transition per step, a crash at any phase
// (the record file as a kill -9 at that phase's start leaves it) resumes at that phase and never
// reruns a finished step, a failed step is Failed with its phase, refusals change nothing.
#include "dr/activation.h"

#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/temp_dir.h"

namespace hasteward::dr {
namespace {

class FakeSteps : public ActivationSteps {
 public:
  core::Result<GateFacts> ReadGates() override { return facts; }
  core::Status Validate(ActivationAudit& audit) override {
    audit.backup = "base";
    return Ran(ActivationPhase::kValidating);
  }
  core::Status Restore(ActivationAudit& /*audit*/) override {
    return Ran(ActivationPhase::kRestoring);
  }
  core::Status Replay(ActivationAudit& audit) override {
    audit.replayed = 7;
    return Ran(ActivationPhase::kReplaying);
  }
  core::Status Provision(ActivationAudit& /*audit*/) override {
    return Ran(ActivationPhase::kProvisioning);
  }

  GateFacts facts{.restorable = true, .source = SourceState::kUnknown, .source_detail = ""};
  std::optional<ActivationPhase> fail_at;
  std::vector<ActivationPhase> ran;

 private:
  core::Status Ran(ActivationPhase phase) {
    ran.push_back(phase);
    if (fail_at == phase) {
      return core::Status(core::ErrorCode::kDumpFailed, "step broke", "fix it");
    }
    return core::Status::Ok();
  }
};

class ActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-activation-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
    options_.record_file = dir_->path() + "/standby-s-activation.json";
    options_.name = "s";
  }
  core::Result<ActivationRecord> Run(FakeSteps& steps, const char* token) {
    options_.token = *repo::ParseGoTime(token);
    return ActivateStandby(steps, options_);
  }
  std::unique_ptr<core::TempDir> dir_;
  ActivateOptions options_;
};

TEST_F(ActivationTest, RunsEveryStepOnceAndEndsActivated) {
  FakeSteps steps;
  auto record = Run(steps, "2026-11-23T10:00:00Z");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->phase, ActivationPhase::kActivated);
  EXPECT_EQ(steps.ran.size(), 4U);
  EXPECT_EQ(record->audit.replayed, 7U);
  auto loaded = LoadActivationRecord(options_.record_file);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->phase, ActivationPhase::kActivated);
  EXPECT_EQ(loaded->audit.backup, "base");
  EXPECT_EQ(loaded->last_token->Format(), "2026-11-23T10:00:00Z");
  EXPECT_EQ(loaded->transitions.size(), 5U);  // Validating .. Activated
}

TEST_F(ActivationTest, CrashInEachPhaseResumesThereWithoutRepeatingFinishedSteps) {
  for (auto crash_at : {ActivationPhase::kValidating, ActivationPhase::kRestoring,
                        ActivationPhase::kReplaying, ActivationPhase::kProvisioning}) {
    std::filesystem::remove(options_.record_file);
    std::string left = options_.record_file + ".at-crash";
    // What a kill -9 right after entering `crash_at` leaves: the file as it was then.
    options_.on_phase = [&](ActivationPhase phase) {
      if (phase == crash_at) {
        std::filesystem::copy_file(options_.record_file, left,
                                   std::filesystem::copy_options::overwrite_existing);
      }
    };
    FakeSteps first;
    ASSERT_TRUE(Run(first, "2026-11-23T10:00:00Z").ok());
    options_.on_phase = nullptr;
    std::filesystem::rename(left, options_.record_file);
    FakeSteps rerun;
    auto record = Run(rerun, "2026-11-23T10:05:00Z");
    ASSERT_TRUE(record.ok()) << ActivationPhaseName(crash_at) << ": " << record.status().ToString();
    EXPECT_EQ(record->phase, ActivationPhase::kActivated);
    ASSERT_FALSE(rerun.ran.empty());
    EXPECT_EQ(rerun.ran.front(), crash_at) << "resumed at the interrupted phase";
    EXPECT_EQ(rerun.ran.size() + static_cast<size_t>(crash_at) - 1, 4U);
    if (crash_at != ActivationPhase::kValidating) {
      EXPECT_EQ(record->audit.backup, "base") << "the audit of the finished steps is kept";
    }
  }
}

TEST_F(ActivationTest, FailedStepRecordsItsPhaseAndANewTokenRestartsFromValidating) {
  FakeSteps steps;
  steps.fail_at = ActivationPhase::kReplaying;
  auto failed = Run(steps, "2026-11-23T10:00:00Z");
  EXPECT_EQ(failed.status().code(), core::ErrorCode::kDumpFailed);
  auto loaded = LoadActivationRecord(options_.record_file);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->phase, ActivationPhase::kFailed);
  EXPECT_EQ(loaded->failed_phase, ActivationPhase::kReplaying);
  EXPECT_NE(loaded->failure.find("step broke"), std::string::npos);
  FakeSteps again;
  ASSERT_TRUE(Run(again, "2026-11-23T10:01:00Z").ok());
  EXPECT_EQ(again.ran.front(), ActivationPhase::kValidating);
}

TEST_F(ActivationTest, RefusalsLeaveTheRecordUntouched) {
  FakeSteps steps;
  ASSERT_TRUE(Run(steps, "2026-11-23T10:00:00Z").ok());
  FakeSteps second;
  EXPECT_EQ(Run(second, "2026-11-23T11:00:00Z").status().code(), core::ErrorCode::kAlreadyExists);
  EXPECT_TRUE(second.ran.empty());
  std::filesystem::remove(options_.record_file);
  FakeSteps unverified;
  unverified.facts.restorable = false;
  EXPECT_EQ(Run(unverified, "2026-11-23T12:00:00Z").status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_FALSE(std::filesystem::exists(options_.record_file)) << "a refused token is not used";
}

TEST(ActivationRecordTest, DamagedRecordIsCorruptionNotAFreshStart) {
  auto dir = core::TempDir::Create("hs-activation-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/r.json";
  ASSERT_TRUE(
      core::WriteFileAtomically(path, core::AsBytes(std::string("{\"phase\":\"Nope\"}"))).ok());
  EXPECT_EQ(LoadActivationRecord(path).status().code(), core::ErrorCode::kCorruption);
  EXPECT_EQ(ActivationRecordFile("/s/standby-x.json"), "/s/standby-x-activation.json");
}

}  // namespace
}  // namespace hasteward::dr
