#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "core/byte_stream.h"
#include "core/fd.h"
#include "core/status.h"

namespace hasteward::core {

enum class StdioMode { kInherit, kNull, kPipe, kFile };

struct SubprocessOptions {
  std::vector<std::string> argv;               // argv[0] is looked up in PATH
  std::map<std::string, std::string> env_set;  // added to (or replacing in) the parent environment
  std::vector<std::string> env_unset;
  std::string cwd;
  StdioMode stdin_mode = StdioMode::kNull;
  StdioMode stdout_mode = StdioMode::kPipe;
  StdioMode stderr_mode = StdioMode::kPipe;  // kPipe: captured; the tail is kept for error messages
  std::string stdin_file;                    // for kFile
  std::string stdout_file;                   // for kFile (truncated)
  std::string stderr_file;                   // for kFile (appended)
  std::optional<uid_t> uid;                  // drop privileges in the child (needs root)
  std::optional<gid_t> gid;
  bool new_process_group = false;  // so a daemon's children can be signalled together
  // A short-lived helper tool (dump tool, restore client, base-backup script), never a server: it
  // dies with hasteward (PR_SET_PDEATHSIG, SIGKILL) and is killed on SIGINT/SIGTERM
  // (core/stop_signal.h). Its owner's thread must outlive it (the death signal follows the thread).
  bool helper = false;
  // Descriptors (opened O_CLOEXEC by the caller) the child keeps under the same numbers, e.g. a
  // memfd with a password read as /dev/fd/N. Only this child sees them.
  std::vector<int> inherit_fds;
  // With stdin_mode kPipe: the child also holds its stdin pipe's write end, so it never reads
  // end-of-input; it must be told to finish in-band (a restore client's quit command).
  bool stdin_held_open = false;
};

struct ExitStatus {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  bool ok() const { return exit_code == 0; }
  std::string Describe() const;  // "exited with status 2" / "killed by signal 9"
};

// A command that runs somewhere else (in a Kubernetes pod, through pod exec) but is driven like a
// child process: Subprocess::StartRemote runs it on a thread of its own, connected to the same
// pipes a local child would get, so callers stream to and from it unchanged.
class RemoteCommand {
 public:
  virtual ~RemoteCommand() = default;
  // Runs the command to its end: `in` (invalid unless stdin is kPipe) feeds its stdin and is
  // half-closed at end of input; its stdout goes to `out` and its stderr to `err` (each invalid
  // when not wanted). A transport failure is reported on `err` with a non-zero exit.
  virtual ExitStatus Run(UniqueFd in, UniqueFd out, UniqueFd err) = 0;
  // Ends the command early, from another thread; Run returns soon after.
  virtual void Abort() = 0;
};

// A running child process. Destruction kills (SIGKILL) and reaps a child that is still running,
// so no process outlives its owner by accident. Not thread-safe except where noted.
class Subprocess {
 public:
  static Result<std::unique_ptr<Subprocess>> Start(const SubprocessOptions& options);
  // Drives `command` like a child started with `options`' stdio modes (kPipe or kNull only; the
  // argv names it in messages); pid() is -1 and Signal aborts it.
  static Result<std::unique_ptr<Subprocess>> StartRemote(const SubprocessOptions& options,
                                                         std::unique_ptr<RemoteCommand> command);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return stdin_.get(); }
  int stdout_fd() const { return stdout_.get(); }
  void CloseStdin() { stdin_.Reset(); }
  void CloseStdout() { stdout_.Reset(); }

  // Waits for exit (reaps once; later calls return the cached status).
  ExitStatus Wait();
  // Waits at most `timeout`; nullopt if still running.
  std::optional<ExitStatus> WaitFor(std::chrono::milliseconds timeout);
  // Sends a signal to the child (or its group when started with new_process_group).
  void Signal(int sig);
  // The last bytes (up to 8 KiB) the child wrote to a captured stderr, with SQL secrets a
  // database client quoted replaced (core/redact.h): it ends up in error messages. Thread-safe.
  std::string StderrTail() const;
  // Full captured stderr, up to 1 MiB. Thread-safe.
  std::string StderrAll() const;
  const std::string& name() const { return name_; }

 private:
  Subprocess() = default;
  void StartStderrReader(int fd);
  // True once the child exited (or cannot be waited for); leaves it to be reaped by waitpid.
  bool WaitExited(bool block);
  ExitStatus WaitRemote();

  std::unique_ptr<RemoteCommand> remote_;
  std::thread remote_thread_;
  std::atomic<bool> remote_done_{false};
  ExitStatus remote_exit_;

  pid_t pid_ = -1;
  bool group_ = false;
  bool helper_ = false;  // registered with core/stop_signal.h until it exited
  std::optional<ExitStatus> exit_;
  UniqueFd stdin_;
  UniqueFd stdout_;
  std::string name_;
  mutable std::mutex stderr_mu_;
  std::string stderr_buf_;
  std::thread stderr_thread_;
};

struct RunOutput {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs a command to completion, capturing stdout and stderr; `input` is fed to stdin when set.
Result<RunOutput> Run(SubprocessOptions options, const std::optional<std::string>& input = {});

// Like Run but a non-zero exit becomes an error naming the command and its stderr tail.
Result<std::string> RunChecked(SubprocessOptions options,
                               const std::optional<std::string>& input = {});

// A ByteSource over a child's stdout. At end of stream it waits for the child; a non-zero exit
// or death by signal is returned as kDumpFailed (with the stderr tail), never as a clean EOF.
class ProcessSource : public ByteSource {
 public:
  explicit ProcessSource(std::unique_ptr<Subprocess> proc) : proc_(std::move(proc)) {}
  Result<size_t> Read(std::span<uint8_t> buf) override;
  Subprocess& process() { return *proc_; }

 private:
  std::unique_ptr<Subprocess> proc_;
  bool done_ = false;
};

// A ByteSink into a child's stdin. Close closes stdin and waits; a non-zero exit is kDumpFailed.
class ProcessSink : public ByteSink {
 public:
  explicit ProcessSink(std::unique_ptr<Subprocess> proc) : proc_(std::move(proc)) {}
  Status Write(ByteView data) override;
  Status Close() override;
  Subprocess& process() { return *proc_; }

 private:
  Status ExitError(const ExitStatus& st);
  std::unique_ptr<Subprocess> proc_;
  bool closed_ = false;
};

// Joins argv for logs and error messages (no secrets are ever placed in argv).
std::string JoinArgv(const std::vector<std::string>& argv);

}  // namespace hasteward::core
