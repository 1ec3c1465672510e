// Job children: a password held in memory reaches the child through an inherited memory file
// (/dev/fd/N, a memfd), never argv, the environment or a file on disk. An aborted child is asked
// to stop (SIGTERM) and killed only when it outlives its grace.
#include "operator/runtime/child_job.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "core/temp_dir.h"

namespace hasteward::op {
namespace {

constexpr char kPassword[] = "in-memory-only-7f3a";

TEST(ChildJobTest, APasswordReachesTheChildThroughAnInheritedMemoryFile) {
  ChildCommand command;
  // The child prints its password flag, the password it reads from the named file, what that file
  // is (an anonymous memory file, on no file system), and its environment.
  command.argv = {"sh", "-c",
                  "echo \"flag=$1 path=$2\"; echo \"read=$(cat \"$2\")\";"
                  " readlink \"$2\"; env",
                  "sh"};
  command.password = kPassword;
  std::atomic<bool> abort{false};
  auto outcome = RunChild(command, abort);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_TRUE(outcome->status.ok()) << outcome->err_tail;
  EXPECT_NE(outcome->out.find("flag=--restic-password-file path=/dev/fd/"), std::string::npos)
      << outcome->out;
  EXPECT_NE(outcome->out.find(std::string("read=") + kPassword), std::string::npos);
  EXPECT_NE(outcome->out.find("memfd:hasteward-repository-password"), std::string::npos)
      << outcome->out;
  // Only the `read=` line (the child's own cat) shows it: not argv, not the environment.
  EXPECT_EQ(outcome->out.find(kPassword), outcome->out.rfind(kPassword));
}

TEST(ChildJobTest, WithoutAPasswordTheArgvIsLeftAsGiven) {
  ChildCommand command;
  command.argv = {"sh", "-c", "echo \"args=$#\"", "sh"};
  std::atomic<bool> abort{false};
  auto outcome = RunChild(command, abort);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_NE(outcome->out.find("args=0"), std::string::npos) << outcome->out;
}

TEST(ChildJobTest, AConsentInServesEnvironmentDoesNotReachTheJobsItStarts) {
  // A person's one-off consent (HASTEWARD_FORCE re-clones a healthy instance, HASTEWARD_NO_ESCROW
  // heals without a backup) left in serve's environment must not apply to its own repairs.
  ASSERT_EQ(::setenv("HASTEWARD_FORCE", "1", 1), 0);
  ASSERT_EQ(::setenv("HASTEWARD_NO_ESCROW", "true", 1), 0);
  ChildCommand command;
  command.argv = {"sh", "-c",
                  "echo \"force=${HASTEWARD_FORCE-unset} escrow=${HASTEWARD_NO_ESCROW-unset}\"",
                  "sh"};
  std::atomic<bool> abort{false};
  auto outcome = RunChild(command, abort);
  ::unsetenv("HASTEWARD_FORCE");
  ::unsetenv("HASTEWARD_NO_ESCROW");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_NE(outcome->out.find("force=unset escrow=unset"), std::string::npos) << outcome->out;
}

// Sets `abort` once the child has written `ready` (so its SIGTERM handler is in place).
std::thread AbortWhenReady(const std::string& ready, std::atomic<bool>& abort) {
  return std::thread([ready, &abort] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!std::filesystem::exists(ready) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    abort = true;
  });
}

// An aborted job is asked to stop (SIGTERM), so it can unwind: a backup removes its repository
// lock, a repair puts a moved-aside data directory back. A SIGKILLed backup left its lock behind.
TEST(ChildJobTest, AnAbortedChildIsAskedToStopAndCleansUpBeforeItExits) {
  auto dir = core::TempDir::Create("hs-child-job-");
  ASSERT_TRUE(dir.ok());
  std::string ready = dir->path() + "/ready";
  ChildCommand command;
  command.argv = {"sh", "-c",
                  "trap 'echo cleaned up; exit 0' TERM; touch \"$1\"; while :; do sleep 0.05; done",
                  "sh", ready};
  std::atomic<bool> abort{false};
  std::thread aborter = AbortWhenReady(ready, abort);
  auto outcome = RunChild(command, abort);
  aborter.join();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->aborted);
  EXPECT_NE(outcome->out.find("cleaned up"), std::string::npos) << outcome->out;
  EXPECT_EQ(outcome->status.signal, 0) << outcome->status.Describe();
}

TEST(ChildJobTest, AChildThatDoesNotStopWithinItsGraceIsKilled) {
  auto dir = core::TempDir::Create("hs-child-job-");
  ASSERT_TRUE(dir.ok());
  std::string ready = dir->path() + "/ready";
  ChildCommand command;
  command.argv = {"sh", "-c", "trap '' TERM; touch \"$1\"; while :; do sleep 0.05; done", "sh",
                  ready};
  command.abort_grace = std::chrono::seconds(1);
  std::atomic<bool> abort{false};
  std::thread aborter = AbortWhenReady(ready, abort);
  auto started = std::chrono::steady_clock::now();
  auto outcome = RunChild(command, abort);
  aborter.join();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->aborted);
  EXPECT_EQ(outcome->status.signal, SIGKILL) << outcome->status.Describe();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

}  // namespace
}  // namespace hasteward::op
