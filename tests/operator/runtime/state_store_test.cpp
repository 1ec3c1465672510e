#include "operator/runtime/state_store.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"

namespace hasteward::op {
namespace {

TEST(StateStoreTest, SurvivesAReopen) {
  auto dir = core::TempDir::Create("hs-state-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/sub/state.json";
  {
    auto s = StateStore::Open(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Update([](ServeState& st) {
                      st.first_start = 10;
                      st.jobs["test/a/backup"].runs = 3;
                      st.jobs["test/a/backup"].snapshot_id = "abc";
                      st.job_errors["verify"] = 2;
                      st.repairs["test/a"]["refused"] = 4;
                    })
                    .ok());
  }
  auto again = StateStore::Open(path);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ServeState st = (*again)->Snapshot();
  EXPECT_EQ(st.first_start, 10);
  EXPECT_EQ(st.jobs.at("test/a/backup").runs, 3);
  EXPECT_EQ(st.jobs.at("test/a/backup").snapshot_id, "abc");
  EXPECT_EQ(st.job_errors.at("verify"), 2);
  EXPECT_EQ(st.repairs.at("test/a").at("refused"), 4);  // hasteward_repairs_total survives
}

TEST(StateStoreTest, GarbageIsCorruption) {
  EXPECT_EQ(DecodeState("{").status().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::op
