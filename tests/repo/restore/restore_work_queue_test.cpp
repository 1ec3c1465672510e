#include "repo/restore/restore_work_queue.h"

#include <thread>

#include <gtest/gtest.h>

namespace hasteward::repo {
namespace {

FileRestoreWork Work(const std::string& path) {
  FileRestoreWork work;
  work.path = path;
  return work;
}

TEST(RestoreWorkQueueTest, PopsInOrderThenEndsWhenClosed) {
  RestoreWorkQueue queue(4);
  ASSERT_TRUE(queue.Push(Work("a")));
  ASSERT_TRUE(queue.Push(Work("b")));
  queue.Close();
  EXPECT_EQ(queue.Pop()->path, "a");
  EXPECT_EQ(queue.Pop()->path, "b");
  EXPECT_FALSE(queue.Pop().has_value());
  EXPECT_TRUE(queue.error().ok());
}

// The walker blocked on a full queue is released by a worker's failure, and the failure (the
// first one) is what the restore reports.
TEST(RestoreWorkQueueTest, FailureReleasesABlockedPushAndKeepsTheFirstCause) {
  RestoreWorkQueue queue(1);
  ASSERT_TRUE(queue.Push(Work("a")));
  bool pushed = true;
  std::thread walker([&] { pushed = queue.Push(Work("b")); });
  queue.Fail(core::Corruption("pack damaged"));
  queue.Fail(core::Internal("later failure"));
  walker.join();
  EXPECT_FALSE(pushed);
  EXPECT_FALSE(queue.Pop().has_value()) << "workers stop at once";
  EXPECT_EQ(queue.error().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::repo
