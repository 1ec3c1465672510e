#pragma once

#include <sys/types.h>

#include "core/status.h"

// Clean stops on SIGINT/SIGTERM for one-shot commands (backup, restore, verify, repair, prune).
//
// The handler only records the signal and SIGKILLs the registered helper children (dump tools,
// restore clients, base-backup scripts; never a database server, which is not registered). The
// command then unwinds on its normal error path: the dead dump tool fails the dump so no snapshot
// is written, the dead restore client never sees end-of-input, RAII removes temp dirs, stops
// scratch servers and releases the repository lock. Long waits poll StopStatus(). A second signal
// exits at once (helpers killed first) for a command that is stuck in a system call.
namespace hasteward::core {

// Installs the handlers (idempotent). The serve command installs its own.
void InstallStopSignalHandlers();

// The stop signal received (SIGINT or SIGTERM), or 0.
int StopSignal();

// Ok, or kInterrupted (SIGINT) / kTerminated (SIGTERM) once a stop signal arrived.
Status StopStatus();

// The documented exit code for a stop signal: 130 for SIGINT, 143 for SIGTERM (128 + signal).
int StopExitCode(int sig);

// Helper children killed (SIGKILL, their process group when `group`) when a stop signal arrives.
// Lock-free and async-signal-safe; at most 64 at once (more are only killed by their owner).
void RegisterHelperChild(pid_t pid, bool group);
void UnregisterHelperChild(pid_t pid);

// Test hook: behave as if `sig` had been received (without killing anything); 0 resets.
void SetStopSignalForTest(int sig);

}  // namespace hasteward::core
