// Job children: a password held in memory reaches the child through an inherited memory file
// (/dev/fd/N, a memfd), never argv, the environment or a file on disk.
#include "operator/child_job.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hasteward::op
