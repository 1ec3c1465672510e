#include "jobs/instant_state.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"

namespace hasteward::jobs {
namespace {

TEST(InstantStateTest, TheDiscardGatesConsentToKeepSurvivesARerun) {
  auto dir = core::TempDir::Create("instant-state-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const std::string data_dir = dir->path() + "/data";
  ASSERT_TRUE(WriteInstantState(data_dir, {.phase = InstantPhase::kServing,
                                           .snapshot_id = "ab12",
                                           .instance = "pg-0",
                                           .keep_replaced = true})
                  .ok());
  auto read = ReadInstantState(data_dir);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->phase, InstantPhase::kServing);
  EXPECT_EQ((*read)->instance, "pg-0");
  EXPECT_TRUE((*read)->keep_replaced);
}

TEST(InstantStateTest, ARecordWithoutTheGatesAnswerKeepsNothing) {
  auto dir = core::TempDir::Create("instant-state-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const std::string data_dir = dir->path() + "/data";
  ASSERT_TRUE(
      WriteInstantState(
          data_dir, {.phase = InstantPhase::kMerging, .snapshot_id = "ab12", .instance = "pg-0"})
          .ok());
  auto read = ReadInstantState(data_dir);
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_FALSE((*read)->keep_replaced);
}

}  // namespace
}  // namespace hasteward::jobs
