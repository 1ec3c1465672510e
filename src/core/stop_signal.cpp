#include "core/stop_signal.h"

#include <array>
#include <atomic>
#include <csignal>
#include <string>

#include <signal.h>
#include <unistd.h>

namespace hasteward::core {

namespace {

constexpr size_t kMaxHelpers = 64;

// A slot holds pid (positive) or -pid for a process group; 0 is free.
std::array<std::atomic<pid_t>, kMaxHelpers> g_helpers{};
std::atomic<int> g_stop_signal{0};

void KillHelpers() {
  for (auto& slot : g_helpers) {
    pid_t target = slot.load();
    if (target != 0) {
      ::kill(target, SIGKILL);
    }
  }
}

// Async-signal-safe: atomics, kill and _exit only.
void OnStopSignal(int sig) {
  int expected = 0;
  bool first = g_stop_signal.compare_exchange_strong(expected, sig);
  KillHelpers();
  if (!first) {
    // A second signal: the user (or the supervisor's grace period) wants out now. Nothing on disk
    // holds a secret, so leaving without unwinding costs at most a stale repository lock.
    ::_exit(StopExitCode(sig));
  }
}

}  // namespace

void InstallStopSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  // SA_RESTART: code that does not expect EINTR keeps working; what blocks on a helper ends when
  // the handler kills it, and long waits poll StopStatus().
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

int StopSignal() {
  return g_stop_signal.load();
}

int StopExitCode(int sig) {
  return 128 + sig;
}

Status StopStatus() {
  int sig = StopSignal();
  if (sig == 0) {
    return Status::Ok();
  }
  ErrorCode code = sig == SIGINT ? ErrorCode::kInterrupted : ErrorCode::kTerminated;
  return Status(code, std::string("stopped by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"),
                "nothing half-done was kept; run the command again");
}

void RegisterHelperChild(pid_t pid, bool group) {
  pid_t value = group ? -pid : pid;
  for (auto& slot : g_helpers) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, value)) {
      // A signal that arrived before the slot was filled did not see this child.
      if (StopSignal() != 0) {
        ::kill(value, SIGKILL);
      }
      return;
    }
  }
}

void UnregisterHelperChild(pid_t pid) {
  for (auto& slot : g_helpers) {
    pid_t expected = pid;
    if (!slot.compare_exchange_strong(expected, 0)) {
      expected = -pid;
      slot.compare_exchange_strong(expected, 0);
    }
  }
}

void SetStopSignalForTest(int sig) {
  g_stop_signal.store(sig);
}

}  // namespace hasteward::core
