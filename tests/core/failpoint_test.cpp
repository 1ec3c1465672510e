#include "core/failpoint.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/stop_signal.h"

namespace hasteward::core {
namespace {

// Failpoint reads HASTEWARD_FAILPOINT once per process and kills the process with SIGKILL, so every
// case runs in a gtest death-test child. The "threadsafe" style re-executes the test binary for
// each child, so the child's configuration is read fresh from the variable the statement sets and
// the test process itself is never armed.

void Say(const char* text) {
  ssize_t ignored = ::write(2, text, std::char_traits<char>::length(text));
  (void)ignored;
}

class FailpointTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(FailpointTest, UnarmedFailpointDoesNothing) {
  EXPECT_EXIT(
      {
        ::unsetenv("HASTEWARD_FAILPOINT");
        for (int i = 0; i < 5; ++i) {
          Failpoint("repo.index.after-upload");
        }
        Say("survived");
        ::_exit(0);
      },
      ::testing::ExitedWithCode(0), "survived");
}

TEST_F(FailpointTest, FailpointArmedForAnotherNameDoesNothing) {
  EXPECT_EXIT(
      {
        ::setenv("HASTEWARD_FAILPOINT", "repo.snapshot.before-save", 1);
        for (int i = 0; i < 5; ++i) {
          Failpoint("repo.index.after-upload");
          Failpoint("repo.snapshot");  // a prefix of the armed name is another name
        }
        Say("survived");
        ::_exit(0);
      },
      ::testing::ExitedWithCode(0), "survived");
}

TEST_F(FailpointTest, ArmedNameKillsOnFirstCallByDefault) {
  EXPECT_EXIT(
      {
        ::setenv("HASTEWARD_FAILPOINT", "repo.index.after-upload", 1);
        Say("before");
        Failpoint("repo.index.after-upload");
        Say("after");
        ::_exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "before$");
}

TEST_F(FailpointTest, CountedFormKillsOnTheNthCallOfThatNameOnly) {
  EXPECT_EXIT(
      {
        ::setenv("HASTEWARD_FAILPOINT", "pack.upload:3", 1);
        Failpoint("pack.upload");
        Failpoint("other");
        Say("[1]");
        Failpoint("pack.upload");
        Failpoint("other");
        Failpoint("other");
        Say("[2]");
        Failpoint("pack.upload");
        Say("[3]");
        ::_exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "\\[1\\]\\[2\\]$");
}

TEST_F(FailpointTest, MalformedCountIsFatalNotSilentlyDisarmed) {
  for (const char* bad : {"pack.upload:0", "pack.upload:", "pack.upload:abc", "pack.upload:3x"}) {
    EXPECT_EXIT(
        {
          ::setenv("HASTEWARD_FAILPOINT", bad, 1);
          Failpoint("pack.upload");
          Say("survived");
          ::_exit(0);
        },
        ::testing::ExitedWithCode(2), "count after ':'")
        << bad;
  }
}

TEST_F(FailpointTest, PauseHoldsTheCallUntilAStopSignal) {
  EXPECT_EXIT(
      {
        ::setenv("HASTEWARD_FAILPOINT", "pack.upload:2:pause", 1);
        InstallStopSignalHandlers();
        Failpoint("pack.upload");
        Say("[1]");
        std::thread stopper([] {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          ::kill(::getpid(), SIGTERM);
        });
        Failpoint("pack.upload");  // paused until the SIGTERM above
        stopper.join();
        Say(StopSignal() == SIGTERM ? "[resumed]" : "[no signal]");
        ::_exit(0);
      },
      ::testing::ExitedWithCode(0),
      "\\[1\\]hasteward: failpoint 'pack.upload' paused.*\\[resumed\\]");
}

TEST_F(FailpointTest, StallHoldsTheCallForSecondsThenGoesOnWithoutASignal) {
  EXPECT_EXIT(
      {
        ::setenv("HASTEWARD_FAILPOINT", "pack.upload:stall", 1);
        auto start = SystemClock::Get().Monotonic();
        Failpoint("pack.upload");
        auto held = SystemClock::Get().Monotonic() - start;
        Say(held >= std::chrono::seconds(kFailpointStallSeconds) ? "[held]" : "[too short]");
        Say(StopSignal() == 0 ? "[no signal]" : "[signalled]");
        Failpoint("pack.upload");  // only the first call stalls
        Say("[done]");
        ::_exit(0);
      },
      ::testing::ExitedWithCode(0),
      "hasteward: failpoint 'pack.upload' stalled.*\\[held\\]\\[no signal\\]\\[done\\]");
}

TEST_F(FailpointTest, HoldHoldsTheCallUntilTheReleaseFileExists) {
  EXPECT_EXIT(
      {
        char dir_template[] = "/tmp/hs-failpoint-XXXXXX";
        const std::string dir = ::mkdtemp(dir_template);
        const std::string release = dir + "/release";
        ::setenv("HASTEWARD_FAILPOINT", "pack.upload:hold", 1);
        ::setenv("HASTEWARD_FAILPOINT_RELEASE", release.c_str(), 1);
        std::atomic<bool> released{false};
        std::thread releaser([&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
          released = true;
          std::FILE* file = std::fopen(release.c_str(), "w");
          std::fclose(file);
        });
        Failpoint("pack.upload");  // held until the releaser made the file
        Say(released ? "[released]" : "[returned early]");
        releaser.join();
        Say(StopSignal() == 0 ? "[no signal]" : "[signalled]");
        ::unlink(release.c_str());
        ::rmdir(dir.c_str());
        ::_exit(0);
      },
      ::testing::ExitedWithCode(0),
      "hasteward: failpoint 'pack.upload' held.*\\[released\\]\\[no signal\\]");
}

TEST_F(FailpointTest, UnknownActionIsFatal) {
  EXPECT_EXIT(
      {
        ::setenv("HASTEWARD_FAILPOINT", "pack.upload:1:explode", 1);
        Failpoint("pack.upload");
        ::_exit(0);
      },
      ::testing::ExitedWithCode(2), "count after ':'");
}

}  // namespace
}  // namespace hasteward::core
