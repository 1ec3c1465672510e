#pragma once

namespace hasteward::core {

inline constexpr int kFailpointStallSeconds = 5;
inline constexpr int kFailpointHoldSeconds = 120;

// Crash injection for tests (reliability-scenarios.md A.2). When the environment variable
// HASTEWARD_FAILPOINT is "<name>" or "<name>:<n>", the n-th (default first) call of
// Failpoint("<name>") kills the process with SIGKILL, exactly like a power cut between two durable
// steps. "<name>[:<n>]:pause" instead prints "hasteward: failpoint '<name>' paused (pid P)" to
// stderr and holds that call until SIGINT/SIGTERM arrives (core/stop_signal.h), so a test can stop
// the process at a known step. "<name>[:<n>]:stall" prints "hasteward: failpoint '<name>' stalled
// (pid P)" and holds that call for kFailpointStall (or until a stop signal), then returns: the
// test changes the world meanwhile (kills a server's process) and the command meets the change
// where it would in production. "<name>[:<n>]:hold" prints "hasteward: failpoint '<name>' held (pid
// P)" and holds that call until the file named by HASTEWARD_FAILPOINT_RELEASE exists (at most
// kFailpointHoldSeconds, or until a stop signal), then returns: the test changes the world (cuts
// the network) and releases the command exactly once the change is in place. Costs one getenv on
// first use; compiled in always so CI tests the release binary.
void Failpoint(const char* name);

// "<name>[:<n>]:fail": true for the n-th (default first) call of FailpointFails("<name>"), and the
// caller fails that step as an I/O error would (a test of what its callers make of the failure).
// False otherwise; Failpoint("<name>") ignores a ":fail" spec.
bool FailpointFails(const char* name);

}  // namespace hasteward::core
