// The pure rules of `standby activate`: one transition per step, where a rerun resumes, and the
// gates (Activated, token, writable source, Restorable) in their order, each with its exit code.
#include "dr/activation_machine.h"

#include <gtest/gtest.h>

namespace hasteward::dr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace activation_machine_test {
namespace {

repo::GoTime At(const char* text) {
  auto time = repo::ParseGoTime(text);
  EXPECT_TRUE(time.ok()) << text;
  return time.ok() ? *time : repo::GoTime{};
}

TEST(ActivationMachineTest, EachStepMovesExactlyOnePhase) {
  struct Row {
    ActivationPhase from, to;
  };
  const Row rows[] = {
      {ActivationPhase::kNone, ActivationPhase::kValidating},
      {ActivationPhase::kValidating, ActivationPhase::kRestoring},
      {ActivationPhase::kRestoring, ActivationPhase::kReplaying},
      {ActivationPhase::kReplaying, ActivationPhase::kProvisioning},
      {ActivationPhase::kProvisioning, ActivationPhase::kActivated},
      {ActivationPhase::kActivated, ActivationPhase::kActivated},
      {ActivationPhase::kFailed, ActivationPhase::kFailed},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(NextPhase(row.from), row.to) << ActivationPhaseName(row.from);
  }
}

TEST(ActivationMachineTest, PhaseNamesRoundTrip) {
  for (auto phase :
       {ActivationPhase::kNone, ActivationPhase::kValidating, ActivationPhase::kRestoring,
        ActivationPhase::kReplaying, ActivationPhase::kProvisioning, ActivationPhase::kActivated,
        ActivationPhase::kFailed}) {
    EXPECT_EQ(ParseActivationPhase(ActivationPhaseName(phase)), phase);
  }
  EXPECT_FALSE(ParseActivationPhase("validating").has_value());
}

TEST(ActivationMachineTest, GatesDecideInOrder) {
  const auto kLast = At("2026-11-23T10:00:00Z");
  struct Row {
    const char* what;
    ActivationPhase phase;
    std::optional<repo::GoTime> last;
    const char* token;
    bool restorable, accept_unverified;
    SourceState source;
    core::ErrorCode code;
    ActivationPhase resume_at;
  };
  using P = ActivationPhase;
  using S = SourceState;
  using E = core::ErrorCode;
  const Row rows[] = {
      {"first run",
       P::kNone,
       {},
       "2026-11-23T09:00:00Z",
       true,
       false,
       S::kUnknown,
       E::kOk,
       P::kValidating},
      {"demoted source",
       P::kNone,
       {},
       "2026-11-23T09:00:00Z",
       true,
       false,
       S::kDemoted,
       E::kOk,
       P::kValidating},
      {"newer token resumes", P::kReplaying, kLast, "2026-11-23T10:00:01Z", true, false,
       S::kUnknown, E::kOk, P::kReplaying},
      {"newer by a nanosecond", P::kRestoring, kLast, "2026-11-23T10:00:00.000000001Z", true, false,
       S::kUnknown, E::kOk, P::kRestoring},
      {"same instant in another zone is reused", P::kRestoring, kLast, "2026-11-23T11:00:00+01:00",
       true, false, S::kUnknown, E::kConfirmationRequired, P::kValidating},
      {"reused token", P::kRestoring, kLast, "2026-11-23T10:00:00Z", true, false, S::kUnknown,
       E::kConfirmationRequired, P::kValidating},
      {"older token", P::kFailed, kLast, "2026-11-23T09:59:59Z", true, false, S::kUnknown,
       E::kConfirmationRequired, P::kValidating},
      {"activated beats a good token", P::kActivated, kLast, "2026-11-24T00:00:00Z", true, false,
       S::kUnknown, E::kAlreadyExists, P::kValidating},
      {"writable source",
       P::kNone,
       {},
       "2026-11-23T09:00:00Z",
       true,
       false,
       S::kWritable,
       E::kSafetyStop,
       P::kValidating},
      {"writable source also on resume", P::kProvisioning, kLast, "2026-11-23T11:00:00Z", true,
       false, S::kWritable, E::kSafetyStop, P::kValidating},
      {"probe could not tell",
       P::kNone,
       {},
       "2026-11-23T09:00:00Z",
       true,
       true,
       S::kProbeFailed,
       E::kSafetyStop,
       P::kValidating},
      {"probe could not tell also on resume", P::kRestoring, kLast, "2026-11-23T11:00:00Z", true,
       false, S::kProbeFailed, E::kSafetyStop, P::kValidating},
      {"unverified",
       P::kNone,
       {},
       "2026-11-23T09:00:00Z",
       false,
       false,
       S::kUnknown,
       E::kSafetyStop,
       P::kValidating},
      {"unverified accepted",
       P::kNone,
       {},
       "2026-11-23T09:00:00Z",
       false,
       true,
       S::kUnknown,
       E::kOk,
       P::kValidating},
      {"resume keeps its chosen backup", P::kRestoring, kLast, "2026-11-23T11:00:00Z", false, false,
       S::kUnknown, E::kOk, P::kRestoring},
      {"failed restarts from validating", P::kFailed, kLast, "2026-11-23T11:00:00Z", true, false,
       S::kUnknown, E::kOk, P::kValidating},
  };
  for (const auto& row : rows) {
    auto decision = DecideActivation({.phase = row.phase,
                                      .last_token = row.last,
                                      .token = At(row.token),
                                      .restorable = row.restorable,
                                      .accept_unverified = row.accept_unverified,
                                      .source = row.source,
                                      .source_detail = ""});
    EXPECT_EQ(decision.refusal.code(), row.code) << row.what << ": " << decision.refusal.ToString();
    if (row.code == E::kOk) {
      EXPECT_EQ(decision.resume_at, row.resume_at) << row.what;
    } else {
      EXPECT_FALSE(decision.refusal.hint().empty()) << row.what;
    }
  }
}

}  // namespace
}  // namespace activation_machine_test
}  // namespace hasteward::dr
