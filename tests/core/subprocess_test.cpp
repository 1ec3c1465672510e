#include "core/subprocess.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include "core/poll_until.h"
#include "core/temp_dir.h"

namespace hasteward::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

SubprocessOptions Cmd(std::vector<std::string> argv) {
  SubprocessOptions o;
  o.argv = std::move(argv);
  return o;
}

SubprocessOptions Sh(const std::string& script) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", script};
  return o;
}

// True when `pid` no longer names a live process. A zombie (a reparented grandchild nobody has
// reaped yet in a container without an init) is dead too.
bool ProcessGone(pid_t pid) {
  if (::kill(pid, 0) != 0) {
    return errno == ESRCH;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return true;
  }
  auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < line.size() &&
         line[close_paren + 2] == 'Z';
}

bool WaitUntilGone(pid_t pid, std::chrono::steady_clock::duration limit) {
  return PollUntil([pid] { return ProcessGone(pid); },
                   std::chrono::duration_cast<milliseconds>(limit), milliseconds(5));
}

// Reads a source to its end (or its error), appending everything to `out`.
Status Drain(ByteSource& src, std::string* out, size_t buf_size = 65536) {
  std::vector<uint8_t> buf(buf_size);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, src.Read(buf));
    if (n == 0) {
      return Status::Ok();
    }
    out->append(reinterpret_cast<const char*>(buf.data()), n);
  }
}

// Writing into a pipe whose reader died must be an EPIPE error, not a fatal signal (the CLI sets
// this too). Restores the previous disposition.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() { previous_ = std::signal(SIGPIPE, SIG_IGN); }
  ~IgnoreSigpipe() { std::signal(SIGPIPE, previous_); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  void (*previous_)(int);
};

TEST(ExitStatusTest, DescribeExitAndSignal) {
  ExitStatus exited{2, 0};
  EXPECT_FALSE(exited.ok());
  EXPECT_EQ(exited.Describe(), "exited with status 2");
  ExitStatus killed{-1, SIGKILL};
  EXPECT_FALSE(killed.ok());
  EXPECT_EQ(killed.Describe().rfind("killed by signal 9", 0), 0U) << killed.Describe();
  EXPECT_TRUE((ExitStatus{0, 0}).ok());
}

TEST(SubprocessTest, TrueAndFalseReportTheirExitStatus) {
  auto t = core::Run(Cmd({"/bin/true"}));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->status.ok());
  EXPECT_EQ(t->status.exit_code, 0);
  EXPECT_EQ(t->status.signal, 0);

  auto f = core::Run(Cmd({"/bin/false"}));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->status.ok());
  EXPECT_EQ(f->status.exit_code, 1);
  EXPECT_EQ(f->status.Describe(), "exited with status 1");
}

// With SIGPIPE at its default (fatal) disposition, input written to a child that exits without
// reading it is an error of the run, not the death of this process (a test poller's psql against a
// stopped server did exactly that).
TEST(SubprocessTest, InputToAChildThatExitsUnreadDoesNotKillTheCaller) {
  auto previous = std::signal(SIGPIPE, SIG_DFL);
  std::string input(4 << 20, 'x');  // far more than a pipe buffer holds
  auto r = core::Run(Sh("exit 3"), input);
  std::signal(SIGPIPE, previous);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status.exit_code, 3);
}

TEST(SubprocessTest, ArbitraryExitCodeIsReported) {
  auto r = core::Run(Sh("exit 42"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status.exit_code, 42);
  EXPECT_EQ(r->status.signal, 0);
}

TEST(SubprocessTest, DeathBySignalIsReportedAsSignal) {
  auto r = core::Run(Sh("kill -TERM $$"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->status.ok());
  EXPECT_EQ(r->status.exit_code, -1);
  EXPECT_EQ(r->status.signal, SIGTERM);
  EXPECT_EQ(r->status.Describe().rfind("killed by signal 15", 0), 0U) << r->status.Describe();
}

TEST(SubprocessTest, CapturesStdoutAndStderrSeparately) {
  auto r = core::Run(Sh("printf 'out line\\n'; printf 'err line\\n' >&2"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "out line\n");
  EXPECT_EQ(r->err, "err line\n");
}

TEST(SubprocessTest, FeedsStdinAndClosesIt) {
  auto r = core::Run(Cmd({"cat"}), std::string("hello\nworld\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->out, "hello\nworld\n");
}

// Input and output both far larger than a pipe buffer: writer and reader must run concurrently.
TEST(SubprocessTest, FeedsAndCapturesLargeStreamsWithoutDeadlock) {
  std::string input;
  for (int i = 0; input.size() < (8U << 20); ++i) {
    input += "row " + std::to_string(i) + "\n";
  }
  auto r = core::Run(Cmd({"cat"}), input);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->out.size(), input.size());
  EXPECT_TRUE(r->out == input);
}

TEST(SubprocessTest, ChildThatIgnoresStdinDoesNotHangRun) {
  IgnoreSigpipe guard;
  auto r = core::Run(Cmd({"/bin/true"}), std::string(4U << 20, 'x'));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->status.ok());
}

TEST(SubprocessTest, MissingProgramIsAClearErrorWithHint) {
  auto p = Subprocess::Start(Cmd({"hasteward-no-such-program"}));
  ASSERT_FALSE(p.ok());
  const Status& s = p.status();
  EXPECT_NE(s.message().find("'hasteward-no-such-program'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos) << s.message();
  EXPECT_NE(s.hint().find("PATH"), std::string::npos) << s.hint();

  auto abs = core::Run(Cmd({"/nonexistent/dir/tool"}));
  ASSERT_FALSE(abs.ok());
  EXPECT_NE(abs.status().message().find("'/nonexistent/dir/tool'"), std::string::npos);
}

TEST(SubprocessTest, EmptyArgvIsAnError) {
  auto p = Subprocess::Start(SubprocessOptions{});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kInternal);
}

TEST(SubprocessTest, RunCheckedTurnsFailureIntoErrorWithStderr) {
  auto ok = RunChecked(Sh("echo fine"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, "fine\n");

  auto bad = RunChecked(Sh("echo 'cannot connect to server' >&2; exit 3"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("exited with status 3"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("cannot connect to server"), std::string::npos)
      << bad.status().message();
}

TEST(SubprocessTest, EnvironmentAndWorkingDirectory) {
  auto dir = TempDir::Create("hs-subprocess-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  ::setenv("HS_SUBPROCESS_TEST_DROP", "present", 1);
  SubprocessOptions o = Sh("echo \"$HS_A|${HS_SUBPROCESS_TEST_DROP:-unset}\"; pwd");
  o.env_set = {{"HS_A", "value a"}};
  o.env_unset = {"HS_SUBPROCESS_TEST_DROP"};
  o.cwd = dir->path();
  auto r = RunChecked(o);
  ::unsetenv("HS_SUBPROCESS_TEST_DROP");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "value a|unset\n" + dir->path() + "\n");
}

TEST(SubprocessTest, DropsPrivilegesToGivenUid) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to switch users";
  }
  struct passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) {
    GTEST_SKIP() << "no 'postgres' user";
  }
  SubprocessOptions o = Cmd({"id", "-u"});
  o.uid = pw->pw_uid;
  o.gid = pw->pw_gid;
  auto r = RunChecked(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, std::to_string(pw->pw_uid) + "\n");
}

TEST(SubprocessTest, WaitForTimesOutThenSeesTheSignal) {
  auto p = Subprocess::Start(Cmd({"sleep", "600"}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  Subprocess& proc = **p;
  EXPECT_FALSE(proc.WaitFor(milliseconds(50)).has_value());
  proc.Signal(SIGTERM);
  auto st = proc.WaitFor(milliseconds(10000));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->signal, SIGTERM);
  // Wait after the child was reaped returns the cached status.
  EXPECT_EQ(proc.Wait().signal, SIGTERM);
}

TEST(SubprocessTest, DestructorKillsRunningChild) {
  pid_t pid = -1;
  {
    auto p = Subprocess::Start(Cmd({"sleep", "600"}));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    pid = (*p)->pid();
    ASSERT_GT(pid, 0);
    ASSERT_FALSE(ProcessGone(pid));
  }
  EXPECT_TRUE(WaitUntilGone(pid, seconds(10))) << "child " << pid << " outlived its Subprocess";
}

TEST(SubprocessTest, DestructorKillsTheWholeGroupOfAGroupLeader) {
  SubprocessOptions o = Sh("sleep 600 & echo $!; wait");
  o.new_process_group = true;
  pid_t child = -1;
  pid_t grandchild = -1;
  {
    auto p = Subprocess::Start(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    child = (*p)->pid();
    std::string line;
    char c = 0;
    while (::read((*p)->stdout_fd(), &c, 1) == 1 && c != '\n') {
      line += c;
    }
    grandchild = static_cast<pid_t>(std::stol(line));
    ASSERT_FALSE(ProcessGone(grandchild));
  }
  EXPECT_TRUE(WaitUntilGone(child, seconds(10)));
  EXPECT_TRUE(WaitUntilGone(grandchild, seconds(10)))
      << "grandchild " << grandchild << " outlived its group leader's Subprocess";
}

TEST(SubprocessTest, StderrTailKeepsTheLastBytes) {
  // 20000 bytes of 'a' then a final marker: the tail is at most 8 KiB and ends with the marker.
  auto p = Subprocess::Start(Sh("head -c 20000 /dev/zero | tr '\\0' a >&2; printf END >&2"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE((*p)->Wait().ok());
  std::string tail = (*p)->StderrTail();
  EXPECT_EQ(tail.size(), 8192U);
  EXPECT_EQ(tail.substr(tail.size() - 3), "END");
  EXPECT_EQ((*p)->StderrAll().size(), 20003U);
}

// 50 MiB through the stdout pipe arrive complete and in order.
TEST(SubprocessTest, BigStdoutStreamsCompletely) {
  constexpr size_t kSize = 50U << 20;
  const std::string pattern = "0123456789abcde\n";
  auto p = Subprocess::Start(Sh("yes 0123456789abcde | head -c " + std::to_string(kSize)));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ProcessSource src(std::move(*p));
  std::vector<uint8_t> buf(1 << 20);
  size_t total = 0;
  size_t mismatches = 0;
  while (true) {
    auto n = src.Read(buf);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) {
      break;
    }
    for (size_t i = 0; i < *n; ++i) {
      if (buf[i] != static_cast<uint8_t>(pattern[(total + i) % pattern.size()])) {
        ++mismatches;
      }
    }
    total += *n;
  }
  EXPECT_EQ(total, kSize);
  EXPECT_EQ(mismatches, 0U);
  EXPECT_TRUE(src.process().Wait().ok());
}

TEST(ProcessSourceTest, SuccessfulProducerEndsCleanly) {
  auto p = Subprocess::Start(Sh("printf 'complete dump\\n'"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ProcessSource src(std::move(*p));
  std::string out;
  Status s = Drain(src, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, "complete dump\n");
}

TEST(ProcessSourceTest, NonZeroExitIsAnErrorNotEndOfStream) {
  auto p = Subprocess::Start(
      Sh("printf 'partial dump\\n'; echo 'pg_dumpall: connection lost' >&2; exit 1"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ProcessSource src(std::move(*p));
  std::string out;
  Status s = Drain(src, &out);
  ASSERT_FALSE(s.ok()) << "a failed producer ended like a complete stream";
  EXPECT_EQ(out, "partial dump\n");  // the bytes before the failure are still delivered
  EXPECT_EQ(s.code(), ErrorCode::kDumpFailed);
  EXPECT_NE(s.message().find("exited with status 1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("connection lost"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'/bin/sh'"), std::string::npos) << s.message();
}

TEST(ProcessSourceTest, ErrorIsRepeatedByLaterReads) {
  auto p = Subprocess::Start(Sh("exit 2"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ProcessSource src(std::move(*p));
  std::vector<uint8_t> buf(4096);
  for (int i = 0; i < 3; ++i) {
    auto n = src.Read(buf);
    ASSERT_FALSE(n.ok()) << "read " << i << " returned " << *n << " bytes, i.e. end of stream";
    EXPECT_EQ(n.status().code(), ErrorCode::kDumpFailed);
  }
}

TEST(ProcessSourceTest, ProducerKilledMidStreamIsAnError) {
  // An endless producer: the stream can only end because it is killed.
  auto p = Subprocess::Start(Cmd({"yes", "INSERT INTO t VALUES (1);"}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ProcessSource src(std::move(*p));
  std::vector<uint8_t> buf(65536);
  size_t before_kill = 0;
  while (before_kill < (1U << 20)) {
    auto n = src.Read(buf);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ASSERT_GT(*n, 0U);
    before_kill += *n;
  }
  src.process().Signal(SIGKILL);
  std::string rest;
  Status s = Drain(src, &rest);
  ASSERT_FALSE(s.ok()) << "a killed producer ended like a complete stream";
  EXPECT_EQ(s.code(), ErrorCode::kDumpFailed);
  EXPECT_NE(s.message().find("killed by signal 9"), std::string::npos) << s.message();
}

TEST(ProcessSourceTest, ProducerDyingBySignalAfterOutputIsAnError) {
  auto p = Subprocess::Start(Sh("echo 'half a dump'; kill -KILL $$"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ProcessSource src(std::move(*p));
  std::string out;
  Status s = Drain(src, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(out, "half a dump\n");
  EXPECT_EQ(s.code(), ErrorCode::kDumpFailed);
  EXPECT_NE(s.message().find("killed by signal 9"), std::string::npos) << s.message();
}

TEST(ProcessSinkTest, DeliversDataAndSucceedsOnCleanExit) {
  auto dir = TempDir::Create("hs-subprocess-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string file = dir->path() + "/restored.sql";
  SubprocessOptions o = Sh("cat > '" + file + "'");
  o.stdin_mode = StdioMode::kPipe;
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ProcessSink sink(std::move(*p));
  ASSERT_TRUE(sink.Write(AsBytes("CREATE TABLE t (a int);\n")).ok());
  ASSERT_TRUE(sink.Write(AsBytes("INSERT INTO t VALUES (1);\n")).ok());
  Status s = sink.Close();
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto content = ReadFileToString(file);
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  EXPECT_EQ(*content, "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n");
  EXPECT_FALSE(sink.Write(AsBytes("late")).ok());
}

TEST(ProcessSinkTest, FailingConsumerIsAnErrorOnClose) {
  SubprocessOptions o = Sh("cat > /dev/null; echo 'ERROR 1064 syntax error' >&2; exit 1");
  o.stdin_mode = StdioMode::kPipe;
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ProcessSink sink(std::move(*p));
  ASSERT_TRUE(sink.Write(AsBytes("garbage\n")).ok());
  Status s = sink.Close();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kDumpFailed);
  EXPECT_NE(s.message().find("exited with status 1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("syntax error"), std::string::npos) << s.message();
}

TEST(ProcessSinkTest, ConsumerDyingEarlyMakesWriteFailWithItsExitStatus) {
  IgnoreSigpipe guard;
  SubprocessOptions o = Sh("head -c 10 > /dev/null; echo 'client crashed' >&2; exit 7");
  o.stdin_mode = StdioMode::kPipe;
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ProcessSink sink(std::move(*p));
  const std::string block(1 << 20, 'x');
  Status s;
  // More than any pipe buffer: a write must eventually meet the closed pipe.
  for (int i = 0; i < 64 && s.ok(); ++i) {
    s = sink.Write(AsBytes(block));
  }
  ASSERT_FALSE(s.ok()) << "64 MiB written into a consumer that exited";
  EXPECT_EQ(s.code(), ErrorCode::kDumpFailed);
  EXPECT_NE(s.message().find("exited with status 7"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("client crashed"), std::string::npos) << s.message();
}

TEST(JoinArgvTest, JoinsWithSpaces) {
  EXPECT_EQ(JoinArgv({"pg_dumpall", "--clean", "-h", "db"}), "pg_dumpall --clean -h db");
  EXPECT_EQ(JoinArgv({}), "");
}

}  // namespace
}  // namespace hasteward::core

namespace hasteward::core {
namespace {

TEST(SubprocessHelperTest, InheritedDescriptorIsReadableAsDevFd) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd r(fds[0]);
  UniqueFd w(fds[1]);
  ASSERT_TRUE(WriteAll(w.get(), AsBytes(std::string("in-memory secret"))).ok());
  w.Reset();
  SubprocessOptions o = Cmd({"cat", "/dev/fd/" + std::to_string(r.get())});
  o.inherit_fds = {r.get()};
  auto out = RunChecked(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "in-memory secret");
  // Without inherit_fds the O_CLOEXEC descriptor is not there.
  auto hidden = core::Run(Cmd({"sh", "-c", "test -e /dev/fd/" + std::to_string(r.get())}));
  ASSERT_TRUE(hidden.ok());
  EXPECT_NE(hidden->status.exit_code, 0);
}

TEST(SubprocessHelperTest, StdinHeldOpenNeverSeesEndOfInput) {
  SubprocessOptions o = Cmd({"cat"});
  o.stdin_mode = StdioMode::kPipe;
  o.stdin_held_open = true;
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  (*p)->CloseStdin();
  EXPECT_FALSE((*p)->WaitFor(milliseconds(300)).has_value())
      << "a child holding its own stdin writer must not see EOF when the parent closes it";
}

TEST(SubprocessHelperTest, HelperDiesWithTheThreadThatStartedIt) {
  pid_t helper = -1;
  std::thread starter([&helper] {
    SubprocessOptions o = Cmd({"sleep", "60"});
    o.helper = true;
    auto p = Subprocess::Start(o);
    ASSERT_TRUE(p.ok());
    helper = (*p)->pid();
    (*p).release();  // NOLINT(bugprone-unused-return-value): simulate an owner that never cleans up
  });
  starter.join();
  ASSERT_GT(helper, 0);
  auto deadline = steady_clock::now() + seconds(5);
  while (!ProcessGone(helper) && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(ProcessGone(helper)) << "PR_SET_PDEATHSIG must kill the helper";
}

}  // namespace
}  // namespace hasteward::core
