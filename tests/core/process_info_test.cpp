#include "core/process_info.h"

#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/subprocess.h"
#include "core/temp_dir.h"

namespace hasteward::core {
namespace {

std::unique_ptr<Subprocess> StartSleeper(const std::string& marker) {
  SubprocessOptions o;
  // The marker is the shell's $0, so it stays in this child's command line (an exec'd sleep
  // would replace it) and ProcessesMentioning finds exactly this child.
  o.argv = {"sh", "-c", "while :; do sleep 1; done", marker};
  auto p = Subprocess::Start(o);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(*p) : nullptr;
}

TEST(ProcessInfoTest, ReadPidFileTakesTheFirstLineAndRejectsGarbage) {
  auto dir = TempDir::Create("hs-pid-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/x.pid";
  std::ofstream(path) << "4242\n/var/lib/postgresql\n";
  EXPECT_EQ(ReadPidFile(path), std::optional<pid_t>(4242));
  std::ofstream(path) << "not a pid\n";
  EXPECT_EQ(ReadPidFile(path), std::nullopt);
  std::ofstream(path) << "-3\n";
  EXPECT_EQ(ReadPidFile(path), std::nullopt);
  EXPECT_EQ(ReadPidFile(dir->path() + "/missing.pid"), std::nullopt);
}

TEST(ProcessInfoTest, ALiveChildIsAliveAndAReapedOneIsNot) {
  auto child = StartSleeper("hs-alive-marker");
  ASSERT_NE(child, nullptr);
  pid_t pid = child->pid();
  EXPECT_TRUE(ProcessAlive(::getpid()));
  EXPECT_TRUE(ProcessAlive(pid));
  EXPECT_FALSE(ProcessAlive(0));
  EXPECT_FALSE(ProcessAlive(-1));
  child.reset();  // kills and reaps
  EXPECT_FALSE(ProcessAlive(pid));
}

TEST(ProcessInfoTest, AZombieCountsAsGone) {
  auto child = StartSleeper("hs-zombie-marker");
  ASSERT_NE(child, nullptr);
  ::kill(child->pid(), SIGKILL);
  // Not reaped yet: kill(pid, 0) still succeeds, but the process has exited.
  EXPECT_TRUE(WaitForExit(child->pid(), std::chrono::seconds(10)));
}

TEST(ProcessInfoTest, WaitForExitTimesOutOnARunningProcess) {
  auto child = StartSleeper("hs-wait-marker");
  ASSERT_NE(child, nullptr);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(WaitForExit(child->pid(), std::chrono::milliseconds(200)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

TEST(ProcessInfoTest, ProcessesMentioningFindsTheChildAndTerminateEndsIt) {
  auto child = StartSleeper("hs-mention-marker-7f3a");
  ASSERT_NE(child, nullptr);
  // Until the child has exec'd sh it still carries our command line, and each loop turn the
  // shell forks a copy of itself (marker included) that becomes `sleep 1`. Poll until the only
  // match is the shell itself; a wrong match, or none at all, fails after the deadline.
  std::vector<pid_t> found;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    found = ProcessesMentioning("hs-mention-marker-7f3a");
    if (found.size() == 1U && found[0] == child->pid()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0], child->pid());
  std::thread reaper([&child] { child->Wait(); });
  EXPECT_TRUE(TerminateProcess(found[0], std::chrono::seconds(5)));
  reaper.join();
  // A loop-turn fork taken just before the TERM may still carry the marker for the instant
  // before it execs sleep; it must disappear, the shell must not come back.
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!ProcessesMentioning("hs-mention-marker-7f3a").empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(ProcessesMentioning("hs-mention-marker-7f3a").empty());
}

TEST(ProcessInfoTest, SelfIdentityNamesThisProcessInItsPidNamespace) {
  auto self = SelfIdentity();
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->boot_id.size(), 36U) << self->boot_id;
  struct stat ns {};
  ASSERT_EQ(::stat("/proc/self/ns/pid", &ns), 0);
  EXPECT_EQ(self->pid_namespace, ns.st_ino);
  EXPECT_EQ(ProcessStartTicks(::getpid()), self->start_ticks);
  auto child = StartSleeper("hs-identity-marker");
  ASSERT_NE(child, nullptr);
  auto child_start = ProcessStartTicks(child->pid());
  ASSERT_TRUE(child_start.has_value());
  EXPECT_GE(*child_start, self->start_ticks) << "started after us";
  EXPECT_EQ(ProcessStartTicks(pid_t{1} << 30), std::nullopt) << "above any pid_max";
}

}  // namespace
}  // namespace hasteward::core
