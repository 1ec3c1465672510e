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

constexpr uint8_t kClose = 255;  // v5: [255, channel] closes the client's side of a channel
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

// Copies a pipe into a channel until the process closes it, then ends the channel.
void Pump(FakeExecTransport& transport, int fd, uint8_t channel) {
  core::Bytes buffer(kPumpBuffer);
  for (;;) {
    auto got = core::ReadSome(fd, buffer);
    if (!got.ok() || *got == 0) {
      break;
    }
    if (!transport.Send(channel, std::span(buffer).first(*got))) {
      return;
    }
  }
  transport.EndChannel(channel);
}

class WebSocketTransport : public FakeExecTransport {
 public:
  WebSocketTransport(k8s::NetStream& stream, k8s::BufferedReader& reader, bool v5)
      : stream_(stream), reader_(reader), v5_(v5) {}

  bool Send(uint8_t channel, core::ByteView data) override {
    core::Bytes message;
    message.reserve(data.size() + 1);
    message.push_back(channel);
    message.insert(message.end(), data.begin(), data.end());
    return SendFrame(k8s::WsOpcode::kBinary, message);
  }

  void EndChannel(uint8_t /*channel*/) override {}

  void ReadClient(const std::function<void(core::ByteView)>& on_stdin,
                  const std::function<void()>& on_stdin_end) override {
    const k8s::WsReply reply = [this](k8s::WsOpcode opcode, core::ByteView payload) {
      return SendFrame(opcode, payload) ? core::Status::Ok()
                                        : core::Status(core::ErrorCode::kUnreachable, "closed");
    };
    for (;;) {
      auto message = k8s::ReadWsMessage(reader_, reply, 64 << 20);
      if (!message.ok() || message->opcode == k8s::WsOpcode::kClose) {
        return;
      }
      const core::Bytes& payload = message->payload;
      if (payload.size() > 1 && payload[0] == kFakeExecStdin) {
        on_stdin(std::span(payload).subspan(1));
      } else if (v5_ && payload.size() > 1 && payload[0] == kClose &&
                 payload[1] == kFakeExecStdin) {
        on_stdin_end();
      }
    }
  }

  void Close() override {
    const uint8_t normal_closure[] = {0x03, 0xE8};  // 1000
    SendFrame(k8s::WsOpcode::kClose, normal_closure);
  }

 private:
  bool SendFrame(k8s::WsOpcode opcode, core::ByteView payload) {
    core::Bytes frame;
    frame.reserve(payload.size() + 16);
    k8s::AppendWsFrame(opcode, payload, k8s::WsMasking::kNone, &frame);
    std::lock_guard lock(write_mu_);  // frames from the pumps must not interleave
    return stream_.WriteAll(frame).ok();
  }

  k8s::NetStream& stream_;
  k8s::BufferedReader& reader_;
  const bool v5_;
  std::mutex write_mu_;
};

}  // namespace

void RunFakeExecProcess(FakeExecTransport& transport, k8s::NetStream& stream,
                        const FakeExecRequest& request, const FakePodProcess& process,
                        FakeExecFault fault) {
  Child child = Spawn(process);
  std::mutex stdin_mu;
  if (!request.stdin) {
    child.stdin_fd.Reset();
  }
  std::atomic<bool> finished{false};
  std::atomic<bool> client_gone{false};
  std::thread client([&] {
    transport.ReadClient(
        [&](core::ByteView data) {
          std::lock_guard lock(stdin_mu);
          if (child.stdin_fd.valid()) {
            (void)core::WriteAll(child.stdin_fd.get(), data);
          }
        },
        [&] {
          std::lock_guard lock(stdin_mu);
          child.stdin_fd.Reset();
        });
    client_gone = !finished;
    std::lock_guard lock(stdin_mu);
    child.stdin_fd.Reset();
    if (client_gone) {
      ::kill(child.pid, SIGKILL);  // a client that leaves ends the command, as the kubelet
    }
  });
  std::thread err_pump([&] { Pump(transport, child.stderr_fd.get(), kFakeExecStderr); });
  Pump(transport, child.stdout_fd.get(), kFakeExecStdout);
  err_pump.join();
  int wait_status = 0;
  while (::waitpid(child.pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  finished = true;
  if (fault != FakeExecFault::kOmitStatus && !client_gone) {
    transport.Send(kFakeExecStatus, core::AsBytes(ExitStatusObject(wait_status).dump()));
    transport.EndChannel(kFakeExecStatus);
  }
  transport.Close();
  stream.Shutdown();
  client.join();
}

void RunFakeExecSession(k8s::NetStream& stream, k8s::BufferedReader& reader,
                        const FakeExecRequest& request, const FakePodProcess& process,
                        FakeExecFault fault) {
  WebSocketTransport transport(stream, reader, request.protocol == "v5.channel.k8s.io");
  for (uint8_t channel : {kFakeExecStdout, kFakeExecStderr, kFakeExecStatus}) {
    transport.Send(channel, {});
  }
  RunFakeExecProcess(transport, stream, request, process, fault);
}

}  // namespace hasteward::testing
