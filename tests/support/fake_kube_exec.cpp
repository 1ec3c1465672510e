#include "support/fake_kube_exec.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fd.h"
#include "platform/kubernetes/websocket.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;

constexpr uint8_t kStdin = 0;
constexpr uint8_t kStdout = 1;
constexpr uint8_t kStderr = 2;
constexpr uint8_t kStatus = 3;
constexpr uint8_t kClose = 255;
constexpr size_t kPumpBuffer = 1 << 20;
constexpr int kPipeSize = 1 << 20;

struct Child {
  pid_t pid = -1;
  core::UniqueFd stdin_fd, stdout_fd, stderr_fd;
};

// fork/exec with three pipes; only async-signal-safe calls run in the child.
Child Spawn(const FakePodProcess& process) {
  int in[2], out[2], err[2];
  (void)::pipe2(in, O_CLOEXEC);
  (void)::pipe2(out, O_CLOEXEC);
  (void)::pipe2(err, O_CLOEXEC);
  ::fcntl(out[0], F_SETPIPE_SZ, kPipeSize);
  std::vector<std::string> env_store;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    if (process.env.count(text.substr(0, text.find('='))) == 0) {
      env_store.push_back(text);
    }
  }
  for (const auto& [name, value] : process.env) {
    env_store.push_back(name + "=" + value);
  }
  std::vector<char*> envp, argv;
  for (auto& text : env_store) {
    envp.push_back(text.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> argv_store = process.argv;
  for (auto& text : argv_store) {
    argv.push_back(text.data());
  }
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (process.gid) {
      (void)::setgid(*process.gid);
    }
    if (process.uid && ::setuid(*process.uid) != 0) {
      ::_exit(126);
    }
    if (!process.cwd.empty()) {
      (void)::chdir(process.cwd.c_str());
    }
    ::execvpe(argv[0], argv.data(), envp.data());
    const char message[] = "fake kubelet: executable file not found\n";
    (void)::write(2, message, sizeof(message) - 1);
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  Child child;
  child.pid = pid;
  child.stdin_fd.Reset(in[1]);
  child.stdout_fd.Reset(out[0]);
  child.stderr_fd.Reset(err[0]);
  return child;
}

nlohmann::json ExitStatusObject(int wait_status) {
  int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  if (code == 0) {
    return {{"metadata", nlohmann::json::object()}, {"status", "Success"}};
  }
  return {{"metadata", nlohmann::json::object()},
          {"status", "Failure"},
          {"message",
           "command terminated with non-zero exit code: error executing command, "
           "exit code " +
               std::to_string(code)},
          {"reason", "NonZeroExitCode"},
          {"details", {{"causes", {{{"reason", "ExitCode"}, {"message", std::to_string(code)}}}}}}};
}

class Session {
 public:
  Session(k8s::NetStream& stream, k8s::BufferedReader& reader) : stream_(stream), reader_(reader) {}

  bool Send(uint8_t channel, core::ByteView data) {
    core::Bytes message;
    message.reserve(data.size() + 1);
    message.push_back(channel);
    message.insert(message.end(), data.begin(), data.end());
    return SendFrame(k8s::WsOpcode::kBinary, message);
  }

  bool SendFrame(k8s::WsOpcode opcode, core::ByteView payload) {
    core::Bytes frame;
    frame.reserve(payload.size() + 16);
    k8s::AppendWsFrame(opcode, payload, k8s::WsMasking::kNone, &frame);
    std::lock_guard lock(write_mu_);  // frames from the pumps must not interleave
    return stream_.WriteAll(frame).ok();
  }

  // Copies a pipe into a channel until the process closes it.
  void Pump(int fd, uint8_t channel) {
    core::Bytes buffer(kPumpBuffer + 1);
    for (;;) {
      auto got = core::ReadSome(fd, std::span(buffer).subspan(1));
      if (!got.ok() || *got == 0) {
        return;
      }
      buffer[0] = channel;
      if (!SendFrame(k8s::WsOpcode::kBinary, std::span(buffer).first(*got + 1))) {
        return;
      }
    }
  }

  // Client messages: stdin data, v5 close of stdin, the end of the session.
  void ReadClient(Child& child, const FakeExecRequest& request) {
    const bool v5 = request.protocol == "v5.channel.k8s.io";
    for (;;) {
      auto message = k8s::ReadWsMessage(reader_, stream_, k8s::WsMasking::kNone, 64 << 20);
      if (!message.ok() || message->opcode == k8s::WsOpcode::kClose) {
        client_gone_ = !finished_;
        std::lock_guard lock(stdin_mu_);
        child.stdin_fd.Reset();
        if (client_gone_) {
          ::kill(child.pid, SIGKILL);  // a client that leaves ends the command, as the kubelet
        }
        return;
      }
      const core::Bytes& payload = message->payload;
      if (payload.empty()) {
        continue;
      }
      std::lock_guard lock(stdin_mu_);
      if (payload[0] == kStdin && request.stdin && child.stdin_fd.valid() && payload.size() > 1) {
        (void)core::WriteAll(child.stdin_fd.get(), std::span(payload).subspan(1));
      } else if (v5 && payload[0] == kClose && payload.size() > 1 && payload[1] == kStdin) {
        child.stdin_fd.Reset();
      }
    }
  }

  std::atomic<bool> finished_{false};
  std::atomic<bool> client_gone_{false};

 private:
  k8s::NetStream& stream_;
  k8s::BufferedReader& reader_;
  std::mutex write_mu_;
  std::mutex stdin_mu_;
};

}  // namespace

void RunFakeExecSession(k8s::NetStream& stream, k8s::BufferedReader& reader,
                        const FakeExecRequest& request, const FakePodProcess& process,
                        FakeExecFault fault) {
  Session session(stream, reader);
  for (uint8_t channel : {kStdout, kStderr, kStatus}) {
    session.Send(channel, {});
  }
  Child child = Spawn(process);
  if (!request.stdin) {
    child.stdin_fd.Reset();
  }
  std::thread client([&] { session.ReadClient(child, request); });
  std::thread err_pump([&] { session.Pump(child.stderr_fd.get(), kStderr); });
  session.Pump(child.stdout_fd.get(), kStdout);
  err_pump.join();
  int wait_status = 0;
  while (::waitpid(child.pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  session.finished_ = true;
  if (fault != FakeExecFault::kOmitStatus && !session.client_gone_) {
    session.Send(kStatus, core::AsBytes(ExitStatusObject(wait_status).dump()));
  }
  const uint8_t normal_closure[] = {0x03, 0xE8};  // 1000
  session.SendFrame(k8s::WsOpcode::kClose, normal_closure);
  stream.Shutdown();
  client.join();
}

}  // namespace hasteward::testing
