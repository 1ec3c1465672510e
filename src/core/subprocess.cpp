#include "core/subprocess.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/redact.h"
#include "core/stop_signal.h"

extern char** environ;

namespace hasteward::core {

namespace {

constexpr size_t kStderrTailBytes = 8192;
constexpr size_t kStderrMaxBytes = 1 << 20;

struct ChildPlan {
  std::vector<std::string> env_strings;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

ChildPlan MakePlan(const SubprocessOptions& o, std::vector<std::string>& argv_store) {
  ChildPlan plan;
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) {
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (const auto& k : o.env_unset) {
    env.erase(k);
  }
  for (const auto& [k, v] : o.env_set) {
    env[k] = v;
  }
  for (const auto& [k, v] : env) {
    plan.env_strings.push_back(std::string(k).append("=").append(v));
  }
  for (auto& s : plan.env_strings) {
    plan.envp.push_back(s.data());
  }
  plan.envp.push_back(nullptr);
  for (auto& s : argv_store) {
    plan.argv.push_back(s.data());
  }
  plan.argv.push_back(nullptr);
  return plan;
}

[[noreturn]] void ChildFail(int err_fd, int err) {
  ssize_t ignored = ::write(err_fd, &err, sizeof(err));
  (void)ignored;
  ::_exit(127);
}

int OpenFor(StdioMode mode, const std::string& file, int flags) {
  if (mode == StdioMode::kNull) {
    return ::open("/dev/null", O_RDWR);
  }
  return ::open(file.c_str(), flags, 0600);
}

// The pipe ends the child uses (-1 when unused) and the parent's pid, captured before fork.
struct ChildFds {
  int in_r = -1;
  int in_w = -1;
  int out_w = -1;
  int err_w = -1;
  int status_w = -1;
  pid_t parent = 0;
};

void ClearCloexec(int fd, int status_w) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) {
    ChildFail(status_w, errno);
  }
}

// In the child: the inherited descriptors lose O_CLOEXEC, and a helper gets its death signal.
void KeepAcrossExec(const SubprocessOptions& o, int in_w, int status_w, pid_t parent) {
  for (int fd : o.inherit_fds) {
    ClearCloexec(fd, status_w);
  }
  if (o.stdin_held_open && in_w >= 0) {
    ClearCloexec(in_w, status_w);
  }
  // After setuid (which clears it): the death signal survives exec of a non-setuid tool. If the
  // parent died before prctl, no signal will come: leave now.
  if (o.helper && (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)) {
    ChildFail(status_w, ESRCH);
  }
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecChild(const SubprocessOptions& o, ChildPlan& plan, const ChildFds& fds) {
  const int in_r = fds.in_r;
  const int out_w = fds.out_w;
  const int err_w = fds.err_w;
  const int status_w = fds.status_w;
  if (o.new_process_group) {
    ::setpgid(0, 0);
  }
  ::signal(SIGPIPE, SIG_DFL);
  int in_fd = in_r;
  if (o.stdin_mode == StdioMode::kNull || o.stdin_mode == StdioMode::kFile) {
    in_fd = OpenFor(o.stdin_mode, o.stdin_file, O_RDONLY);
  }
  int out_fd = out_w;
  if (o.stdout_mode == StdioMode::kNull || o.stdout_mode == StdioMode::kFile) {
    out_fd = OpenFor(o.stdout_mode, o.stdout_file, O_WRONLY | O_CREAT | O_TRUNC);
  }
  int err_fd = err_w;
  if (o.stderr_mode == StdioMode::kNull || o.stderr_mode == StdioMode::kFile) {
    err_fd = OpenFor(o.stderr_mode, o.stderr_file, O_WRONLY | O_CREAT | O_APPEND);
  }
  if ((in_fd >= 0 && ::dup2(in_fd, 0) < 0) || (out_fd >= 0 && ::dup2(out_fd, 1) < 0) ||
      (err_fd >= 0 && ::dup2(err_fd, 2) < 0)) {
    ChildFail(status_w, errno);
  }
  if (o.gid && ::setgid(*o.gid) != 0) {
    ChildFail(status_w, errno);
  }
  if (o.gid && ::setgroups(0, nullptr) != 0 && errno != EPERM) {
    ChildFail(status_w, errno);
  }
  if (o.uid && ::setuid(*o.uid) != 0) {
    ChildFail(status_w, errno);
  }
  if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) {
    ChildFail(status_w, errno);
  }
  KeepAcrossExec(o, fds.in_w, status_w, fds.parent);
  ::execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
  ChildFail(status_w, errno);
}

struct Pipe {
  UniqueFd r, w;
  Status Open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      return ErrnoStatus("pipe", errno);
    }
    r.Reset(fds[0]);
    w.Reset(fds[1]);
    return Status::Ok();
  }
};

}  // namespace

std::string ExitStatus::Describe() const {
  if (signal != 0) {
    return std::string("killed by signal ") + std::to_string(signal) + " (" + ::strsignal(signal) +
           ")";
  }
  return "exited with status " + std::to_string(exit_code);
}

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) {
      s += ' ';
    }
    s += a;
  }
  return s;
}

Result<std::unique_ptr<Subprocess>> Subprocess::Start(const SubprocessOptions& o) {
  if (o.argv.empty()) {
    return Internal("subprocess started without argv");
  }
  Pipe in, out, err, status;
  if (o.stdin_mode == StdioMode::kPipe)
    HS_TRY(in.Open());
  if (o.stdout_mode == StdioMode::kPipe) {
    HS_TRY(out.Open());
    // Dumps stream gigabytes through this pipe: a 1 MiB pipe (the unprivileged maximum) lets
    // producer and reader run in longer turns than the default 64 KiB, with far fewer wake-ups.
    // Best effort: a smaller pipe only costs speed.
    (void)::fcntl(out.r.get(), F_SETPIPE_SZ, 1 << 20);
  }
  if (o.stderr_mode == StdioMode::kPipe)
    HS_TRY(err.Open());
  HS_TRY(status.Open());
  std::vector<std::string> argv_store = o.argv;
  ChildPlan plan = MakePlan(o, argv_store);
  std::unique_ptr<Subprocess> p(new Subprocess());
  p->name_ = o.argv[0];
  p->group_ = o.new_process_group;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    return ErrnoStatus("fork", errno);
  }
  if (pid == 0) {
    ExecChild(o, plan,
              ChildFds{in.r.get(), in.w.get(), out.w.get(), err.w.get(), status.w.get(), parent});
  }
  p->pid_ = pid;
  if (o.helper) {
    p->helper_ = true;
    RegisterHelperChild(pid, o.new_process_group);
  }
  status.w.Reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(status.r.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == sizeof(child_errno)) {
    p->Wait();
    Status s = ErrnoStatus("start '" + o.argv[0] + "'", child_errno);
    if (child_errno == ENOENT) {
      s.WithHint("install the program or put it on PATH (tools/setup.sh installs all of them)");
    }
    return s;
  }
  p->stdin_ = std::move(in.w);
  p->stdout_ = std::move(out.r);
  if (o.stderr_mode == StdioMode::kPipe) {
    p->StartStderrReader(err.r.Release());
  }
  return p;
}

Result<std::unique_ptr<Subprocess>> Subprocess::StartRemote(
    const SubprocessOptions& o, std::unique_ptr<RemoteCommand> command) {
  for (StdioMode mode : {o.stdin_mode, o.stdout_mode, o.stderr_mode}) {
    if (mode != StdioMode::kPipe && mode != StdioMode::kNull) {
      return Usage("'" + (o.argv.empty() ? std::string("command") : o.argv[0]) +
                       "' runs remotely: its stdio can only be piped or discarded",
                   "stream through the pipes instead of naming files");
    }
  }
  // Descriptors and a working directory of this machine mean nothing where the command runs.
  if (!o.inherit_fds.empty() || !o.cwd.empty()) {
    return Usage("'" + (o.argv.empty() ? std::string("command") : o.argv[0]) +
                     "' runs remotely: it cannot inherit local descriptors or a local directory",
                 "pass what it needs through stdin");
  }
  Pipe in, out, err;
  if (o.stdin_mode == StdioMode::kPipe)
    HS_TRY(in.Open());
  if (o.stdout_mode == StdioMode::kPipe) {
    HS_TRY(out.Open());
    (void)::fcntl(out.r.get(), F_SETPIPE_SZ, 1 << 20);
  }
  if (o.stderr_mode == StdioMode::kPipe)
    HS_TRY(err.Open());
  std::unique_ptr<Subprocess> p(new Subprocess());
  p->name_ = o.argv.empty() ? std::string("remote command") : o.argv[0];
  p->remote_ = std::move(command);
  p->stdin_ = std::move(in.w);
  p->stdout_ = std::move(out.r);
  if (o.stderr_mode == StdioMode::kPipe) {
    p->StartStderrReader(err.r.Release());
  }
  Subprocess* self = p.get();
  p->remote_thread_ = std::thread([self, in_r = std::move(in.r), out_w = std::move(out.w),
                                   err_w = std::move(err.w)]() mutable {
    self->remote_exit_ = self->remote_->Run(std::move(in_r), std::move(out_w), std::move(err_w));
    self->remote_done_ = true;
  });
  return p;
}

ExitStatus Subprocess::WaitRemote() {
  if (remote_thread_.joinable()) {
    remote_thread_.join();
  }
  exit_ = remote_exit_;
  if (stderr_thread_.joinable()) {
    stderr_thread_.join();
  }
  return *exit_;
}

void Subprocess::StartStderrReader(int fd) {
  stderr_thread_ = std::thread([this, fd] {
    UniqueFd owned(fd);
    char buf[4096];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      std::lock_guard<std::mutex> lock(stderr_mu_);
      stderr_buf_.append(buf, static_cast<size_t>(n));
      if (stderr_buf_.size() > kStderrMaxBytes) {
        stderr_buf_.erase(0, stderr_buf_.size() - kStderrMaxBytes);
      }
    }
  });
}

Subprocess::~Subprocess() {
  if (remote_ != nullptr && !exit_) {
    remote_->Abort();
    stdin_.Reset();
    stdout_.Reset();
    WaitRemote();
  }
  if (pid_ > 0 && !exit_) {
    Signal(SIGKILL);
    Wait();
  }
  stdin_.Reset();
  stdout_.Reset();
  if (stderr_thread_.joinable()) {
    stderr_thread_.join();
  }
}

bool Subprocess::WaitExited(bool block) {
  siginfo_t info{};
  int r;
  do {
    // WNOWAIT: the child stays a zombie (its pid cannot be reused) until it left the helper list.
    r = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
  } while (r < 0 && errno == EINTR);
  bool exited = r == 0 && info.si_pid == pid_;
  if ((exited || r < 0) && helper_) {
    UnregisterHelperChild(pid_);
    helper_ = false;
  }
  return exited || r < 0;
}

ExitStatus Subprocess::Wait() {
  if (exit_) {
    return *exit_;
  }
  if (remote_ != nullptr) {
    return WaitRemote();
  }
  WaitExited(true);
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wstatus, 0);
  } while (r < 0 && errno == EINTR);
  ExitStatus st;
  if (r == pid_) {
    if (WIFEXITED(wstatus)) {
      st.exit_code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
      st.signal = WTERMSIG(wstatus);
    }
  }
  exit_ = st;
  if (stderr_thread_.joinable()) {
    stderr_thread_.join();
  }
  return st;
}

std::optional<ExitStatus> Subprocess::WaitFor(std::chrono::milliseconds timeout) {
  if (exit_) {
    return exit_;
  }
  const Clock& clock = SystemClock::Get();
  auto deadline = clock.Monotonic() + timeout;
  while (true) {
    if (remote_ != nullptr && remote_done_) {
      return WaitRemote();
    }
    int wstatus = 0;
    pid_t r = remote_ != nullptr ? 0 : WaitExited(false) ? ::waitpid(pid_, &wstatus, WNOHANG) : 0;
    if (r == pid_) {
      ExitStatus st;
      if (WIFEXITED(wstatus)) {
        st.exit_code = WEXITSTATUS(wstatus);
      } else if (WIFSIGNALED(wstatus)) {
        st.signal = WTERMSIG(wstatus);
      }
      exit_ = st;
      if (stderr_thread_.joinable()) {
        stderr_thread_.join();
      }
      return st;
    }
    if (clock.Monotonic() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Subprocess::Signal(int sig) {
  if (remote_ != nullptr && !exit_) {
    // A remote command cannot be signalled: any signal ends it, as closing a session does.
    remote_->Abort();
    return;
  }
  if (pid_ <= 0 || exit_) {
    return;
  }
  if (group_) {
    ::kill(-pid_, sig);
  } else {
    ::kill(pid_, sig);
  }
}

std::string Subprocess::StderrTail() const {
  std::lock_guard<std::mutex> lock(stderr_mu_);
  // The tail ends up in error messages: a database client quoting a refused statement must not
  // carry a password there (core/redact.h).
  if (stderr_buf_.size() <= kStderrTailBytes) {
    return RedactSqlSecrets(stderr_buf_);
  }
  return RedactSqlSecrets(
      std::string_view(stderr_buf_).substr(stderr_buf_.size() - kStderrTailBytes));
}

std::string Subprocess::StderrAll() const {
  std::lock_guard<std::mutex> lock(stderr_mu_);
  return stderr_buf_;
}

namespace {
std::string TrimTail(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}
}  // namespace

Result<RunOutput> Run(SubprocessOptions options, const std::optional<std::string>& input) {
  options.stdin_mode = input ? StdioMode::kPipe : options.stdin_mode;
  options.stdout_mode = StdioMode::kPipe;
  options.stderr_mode = StdioMode::kPipe;
  HS_ASSIGN_OR_RETURN(auto proc, Subprocess::Start(options));
  std::thread writer;
  if (input) {
    // Close stdin once the input is written: a child reading to EOF (psql, mariadb) would
    // otherwise wait for it while we wait for its stdout.
    Subprocess* p = proc.get();
    writer = std::thread([p, &input] {
      // A child that exits before reading its input (a client that cannot connect) must give
      // this write an EPIPE, not kill the calling process: library code cannot rely on every host
      // (a test binary, an embedding program) ignoring SIGPIPE. The signal is directed at the
      // writing thread, so blocking it here only; a pending one is dropped when the thread ends.
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
      (void)WriteAll(p->stdin_fd(), AsBytes(*input));
      p->CloseStdin();
    });
  }
  RunOutput out;
  char buf[65536];
  while (true) {
    auto n = ReadSome(proc->stdout_fd(),
                      std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf), sizeof(buf)));
    if (!n.ok() || *n == 0) {
      break;
    }
    out.out.append(buf, *n);
  }
  if (writer.joinable()) {
    writer.join();
  }
  proc->CloseStdin();
  out.status = proc->Wait();
  out.err = proc->StderrAll();
  return out;
}

Result<std::string> RunChecked(SubprocessOptions options, const std::optional<std::string>& input) {
  std::string cmd = JoinArgv(options.argv);
  HS_ASSIGN_OR_RETURN(RunOutput r, Run(std::move(options), input));
  if (!r.status.ok()) {
    std::string tail = TrimTail(r.err.size() > 2000 ? r.err.substr(r.err.size() - 2000) : r.err);
    return Status(ErrorCode::kInternal,
                  "'" + cmd + "' " + r.status.Describe() + (tail.empty() ? "" : ": " + tail));
  }
  return std::move(r.out);
}

Result<size_t> ProcessSource::Read(std::span<uint8_t> buf) {
  if (!done_) {
    HS_ASSIGN_OR_RETURN(size_t n, ReadSome(proc_->stdout_fd(), buf));
    if (n > 0) {
      return n;
    }
    done_ = true;
  }
  // Wait() caches the exit status, so a failed producer stays an error on every later read too.
  ExitStatus st = proc_->Wait();
  if (!st.ok()) {
    std::string tail = TrimTail(proc_->StderrTail());
    return Status(ErrorCode::kDumpFailed,
                  "'" + proc_->name() + "' " + st.Describe() + (tail.empty() ? "" : ": " + tail));
  }
  return size_t{0};
}

Status ProcessSink::ExitError(const ExitStatus& st) {
  std::string tail = TrimTail(proc_->StderrTail());
  return {ErrorCode::kDumpFailed,
          "'" + proc_->name() + "' " + st.Describe() + (tail.empty() ? "" : ": " + tail)};
}

Status ProcessSink::Write(ByteView data) {
  if (closed_) {
    return Internal("write to a closed process sink");
  }
  Status s = WriteAll(proc_->stdin_fd(), data);
  if (!s.ok()) {
    proc_->CloseStdin();
    closed_ = true;
    ExitStatus st = proc_->Wait();
    return st.ok() ? s : ExitError(st);
  }
  return s;
}

Status ProcessSink::Close() {
  if (closed_) {
    return Status::Ok();
  }
  closed_ = true;
  proc_->CloseStdin();
  ExitStatus st = proc_->Wait();
  if (!st.ok()) {
    return ExitError(st);
  }
  return Status::Ok();
}

}  // namespace hasteward::core
