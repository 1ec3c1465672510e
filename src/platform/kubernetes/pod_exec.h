// Runs a command in a pod over the WebSocket channel protocol (v5.channel.k8s.io, falling back to
// v4.channel.k8s.io): stdin, stdout and stderr stream as core byte streams, so a dump flows from a
// pod into the repository with no temporary file. The exit status comes from the status channel;
// a session that ends without one is an error, never a success.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/byte_stream.h"
#include "core/status.h"
#include "platform/kubernetes/kube_client.h"

namespace hasteward::platform::kubernetes {

enum class WsOpcode : uint8_t;  // websocket.h

struct ExecRequest {
  std::string ns;
  std::string pod;
  std::string container;  // "" when the pod has one container
  std::vector<std::string> command;
  bool stdin = false;
};

enum class ExecProtocol { kV5, kV4 };

// The outcome of a command: exit code 0 (Success) or the ExitCode cause of a NonZeroExitCode.
struct ExecExit {
  int exit_code = 0;
  std::string message;      // the status message for failures
  std::string stderr_tail;  // last 8 KiB of stderr
};

// One exec session. Not thread-safe, except that SendStdin/CloseStdin may run on one thread while
// another reads.
class PodExec {
 public:
  static core::Result<std::unique_ptr<PodExec>> Start(const KubeClient& client,
                                                      const ExecRequest& request);
  ~PodExec();
  PodExec(const PodExec&) = delete;
  PodExec& operator=(const PodExec&) = delete;

  ExecProtocol protocol() const { return protocol_; }
  core::Status SendStdin(core::ByteView data);
  // Half-closes stdin (v5). With a v4-only server stdin cannot be closed: kUnreachable with a hint.
  core::Status CloseStdin();
  // Reads stdout into `buf` (stderr is kept as a tail); 0 once the command ended and its status
  // arrived. Afterwards exit() holds the status.
  core::Result<size_t> ReadStdout(std::span<uint8_t> buf);
  // Drains the session to its end (stdout into `out` when given) and returns the exit.
  core::Result<ExecExit> Wait(core::ByteSink* out = nullptr, core::ByteSink* err = nullptr);
  const ExecExit& exit() const { return exit_; }
  void Abort();  // closes the connection (the server kills the command)

 private:
  PodExec() = default;
  // Receives one message; sets done_ at the end of the session.
  core::Status Receive(core::ByteSink* err);
  // One masked frame to the server; stdin, its close and the reader's pongs never interleave.
  core::Status WriteFrame(WsOpcode opcode, core::ByteView payload);
  core::Status Finish();

  std::unique_ptr<NetStream> stream_;
  std::unique_ptr<BufferedReader> reader_;
  ExecProtocol protocol_ = ExecProtocol::kV5;
  std::string what_;
  std::mutex write_mu_;
  core::Bytes stdout_buf_;
  size_t stdout_pos_ = 0;
  std::string stderr_tail_;
  bool have_status_ = false;
  bool done_ = false;
  ExecExit exit_;
  core::Status status_error_;
};

// Runs the command to its end: `input` (when set) is streamed to stdin and closed, stdout goes to
// `out`; a non-zero exit is kDumpFailed with the stderr tail.
core::Result<ExecExit> RunInPod(const KubeClient& client, const ExecRequest& request,
                                core::ByteSource* input, core::ByteSink* out);

// A ByteSource over a command's stdout (a dump): at the end a non-zero exit or a missing status is
// an error, so a failed dump is never mistaken for a short complete one.
class PodExecSource : public core::ByteSource {
 public:
  explicit PodExecSource(std::unique_ptr<PodExec> exec) : exec_(std::move(exec)) {}
  core::Result<size_t> Read(std::span<uint8_t> buf) override;

 private:
  std::unique_ptr<PodExec> exec_;
};

}  // namespace hasteward::platform::kubernetes
