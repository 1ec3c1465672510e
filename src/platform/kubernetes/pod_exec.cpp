#include "platform/kubernetes/pod_exec.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "platform/kubernetes/websocket.h"

namespace hasteward::platform::kubernetes {
namespace {

constexpr uint8_t kStdinChannel = 0;
constexpr uint8_t kStdoutChannel = 1;
constexpr uint8_t kStderrChannel = 2;
constexpr uint8_t kStatusChannel = 3;
constexpr uint8_t kCloseChannel = 255;
constexpr size_t kMaxMessage = 16 << 20;
constexpr size_t kStdinFrame = 1 << 20;
constexpr size_t kStderrTail = 8192;
const char kV5[] = "v5.channel.k8s.io";
const char kV4[] = "v4.channel.k8s.io";

std::string ExecTarget(const ExecRequest& request) {
  std::string target = ResourcePath(resources::kPods, request.ns, request.pod, "exec") + "?";
  for (const auto& arg : request.command) {
    target += "command=" + QueryEscape(arg) + "&";
  }
  if (!request.container.empty()) {
    target += "container=" + QueryEscape(request.container) + "&";
  }
  return target + "stdin=" + (request.stdin ? "true" : "false") + "&stdout=true&stderr=true";
}

}  // namespace

PodExec::~PodExec() = default;

core::Result<std::unique_ptr<PodExec>> PodExec::Start(const KubeClient& client,
                                                      const ExecRequest& request) {
  std::unique_ptr<PodExec> exec(new PodExec());
  exec->what_ = "exec in pod '" + request.ns + "/" + request.pod + "'";
  HS_ASSIGN_OR_RETURN(exec->stream_, client.Connect());
  HS_ASSIGN_OR_RETURN(std::string head,
                      client.RequestHead("GET", ExecTarget(request), KubeClient::Accepts::kStream));
  const std::string key = NewWsKey();
  head +=
      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: " +
      key + "\r\nSec-WebSocket-Protocol: " + kV5 + ", " + kV4 + "\r\n\r\n";
  HS_TRY(exec->stream_->WriteAll(core::AsBytes(head)));
  exec->reader_ = std::make_unique<BufferedReader>(exec->stream_.get());
  HS_ASSIGN_OR_RETURN(HttpAnswerHead answer, ReadAnswerHead(*exec->reader_));
  if (answer.code != 101) {
    core::Bytes body;
    std::string length = answer.Get("content-length");
    if (!length.empty()) {
      (void)exec->reader_->ReadExact(std::strtoul(length.c_str(), nullptr, 10), &body);
    }
    return ApiError({answer.code, core::AsString(body)}, exec->what_);
  }
  if (answer.Get("sec-websocket-accept") != WsAcceptFor(key)) {
    return core::Status(core::ErrorCode::kUnreachable,
                        exec->what_ + ": the server's WebSocket accept key is wrong");
  }
  const std::string protocol = answer.Get("sec-websocket-protocol");
  if (protocol == kV5) {
    exec->protocol_ = ExecProtocol::kV5;
  } else if (protocol == kV4) {
    exec->protocol_ = ExecProtocol::kV4;
  } else {
    return core::Status(
        core::ErrorCode::kUnreachable,
        exec->what_ + ": the server chose no channel protocol we speak ('" + protocol + "')",
        "HASteward needs a Kubernetes API server that serves exec over "
        "WebSocket (v4.channel.k8s.io or later, Kubernetes 1.4+)");
  }
  return exec;
}

core::Status PodExec::SendStdin(core::ByteView data) {
  while (!data.empty()) {
    core::ByteView part = data.first(std::min(data.size(), kStdinFrame));
    core::Bytes message;
    message.reserve(part.size() + 1);
    message.push_back(kStdinChannel);
    message.insert(message.end(), part.begin(), part.end());
    HS_TRY(WriteFrame(WsOpcode::kBinary, message));
    data = data.subspan(part.size());
  }
  return core::Status::Ok();
}

core::Status PodExec::CloseStdin() {
  if (protocol_ == ExecProtocol::kV4) {
    return {core::ErrorCode::kUnreachable,
            what_ + ": the API server speaks only v4.channel.k8s.io, which cannot close stdin",
            "upgrade the cluster to Kubernetes 1.30 or later (v5.channel.k8s.io)"};
  }
  const uint8_t close_stdin[] = {kCloseChannel, kStdinChannel};
  return WriteFrame(WsOpcode::kBinary, close_stdin);
}

core::Status PodExec::WriteFrame(WsOpcode opcode, core::ByteView payload) {
  core::Bytes frame;
  frame.reserve(payload.size() + 16);
  AppendWsFrame(opcode, payload, WsMasking::kMasked, &frame);
  std::lock_guard lock(write_mu_);
  return stream_->WriteAll(frame);
}

void PodExec::Abort() {
  stream_->Shutdown();
}

core::Status PodExec::Receive(core::ByteSink* err) {
  auto message = ReadWsMessage(
      *reader_,
      [this](WsOpcode opcode, core::ByteView payload) { return WriteFrame(opcode, payload); },
      kMaxMessage);
  if (!message.ok() || message->opcode == WsOpcode::kClose) {
    done_ = true;
    if (!message.ok() && !have_status_) {
      return message.TakeStatus().Wrap(what_);
    }
    return core::Status::Ok();
  }
  core::Bytes& payload = message->payload;
  if (payload.size() <= 1) {
    return core::Status::Ok();  // the empty first message of each channel
  }
  const uint8_t channel = payload[0];
  if (channel == kStdoutChannel) {
    stdout_buf_ = std::move(payload);
    stdout_pos_ = 1;
  } else if (channel == kStderrChannel) {
    std::string text(payload.begin() + 1, payload.end());
    if (err != nullptr) {
      HS_TRY(err->Write(std::span(payload).subspan(1)));
    }
    stderr_tail_ += text;
    if (stderr_tail_.size() > kStderrTail) {
      stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
    }
  } else if (channel == kStatusChannel) {
    auto status = nlohmann::json::parse(payload.begin() + 1, payload.end(), nullptr, false);
    have_status_ = true;
    if (!status.is_object()) {
      status_error_ = core::Status(core::ErrorCode::kUnreachable, what_ + ": malformed status");
    } else if (status.value("status", "") == "Success") {
      exit_.exit_code = 0;
    } else if (status.value("reason", "") == "NonZeroExitCode") {
      exit_.exit_code = -1;
      exit_.message = status.value("message", "");
      for (const auto& cause : status["details"].value("causes", nlohmann::json::array())) {
        if (cause.value("reason", "") == "ExitCode") {
          exit_.exit_code = std::atoi(cause.value("message", "-1").c_str());
        }
      }
    } else {
      status_error_ = core::Status(core::ErrorCode::kUnreachable,
                                   what_ + ": " + status.value("message", "the command failed"));
    }
  }
  return core::Status::Ok();
}

core::Status PodExec::Finish() {
  if (!have_status_) {
    // Without the status message nothing says the command succeeded: a cut connection looks the
    // same as a clean end.
    return {core::ErrorCode::kUnreachable, what_ + ": the session ended without an exit status",
            "check the API server and the pod; the command's outcome is unknown"};
  }
  exit_.stderr_tail = stderr_tail_;
  return status_error_;
}

core::Result<size_t> PodExec::ReadStdout(std::span<uint8_t> buf) {
  for (;;) {
    if (stdout_pos_ < stdout_buf_.size()) {
      size_t take = std::min(buf.size(), stdout_buf_.size() - stdout_pos_);
      std::memcpy(buf.data(), stdout_buf_.data() + stdout_pos_, take);
      stdout_pos_ += take;
      return take;
    }
    if (done_) {
      HS_TRY(Finish());
      return size_t{0};
    }
    HS_TRY(Receive(nullptr));
  }
}

core::Result<ExecExit> PodExec::Wait(core::ByteSink* out, core::ByteSink* err) {
  while (!done_ || stdout_pos_ < stdout_buf_.size()) {
    if (stdout_pos_ < stdout_buf_.size()) {
      if (out != nullptr) {
        HS_TRY(out->Write(std::span(stdout_buf_).subspan(stdout_pos_)));
      }
      stdout_pos_ = stdout_buf_.size();
      continue;
    }
    HS_TRY(Receive(err));
  }
  HS_TRY(Finish());
  return exit_;
}

core::Result<ExecExit> RunInPod(const KubeClient& client, const ExecRequest& request,
                                core::ByteSource* input, core::ByteSink* out) {
  ExecRequest effective = request;
  effective.stdin = input != nullptr;
  HS_ASSIGN_OR_RETURN(std::unique_ptr<PodExec> exec, PodExec::Start(client, effective));
  core::Status pump_status;
  std::thread pump;
  if (input != nullptr) {
    pump = std::thread([&] {
      core::Bytes buffer(kStdinFrame);
      for (;;) {
        auto got = input->Read(buffer);
        if (!got.ok()) {
          pump_status = got.TakeStatus();
          exec->Abort();  // a failed producer must not look like a complete input
          return;
        }
        if (*got == 0) {
          pump_status = exec->CloseStdin();
          return;
        }
        pump_status = exec->SendStdin(std::span(buffer).first(*got));
        if (!pump_status.ok()) {
          return;
        }
      }
    });
  }
  auto result = exec->Wait(out, nullptr);
  if (pump.joinable()) {
    pump.join();
  }
  if (!pump_status.ok()) {
    return pump_status.Wrap("stream stdin to pod '" + request.ns + "/" + request.pod + "'");
  }
  if (!result.ok()) {
    return result.TakeStatus();
  }
  if (result->exit_code != 0) {
    return core::Status(core::ErrorCode::kDumpFailed, "command in pod '" + request.ns + "/" +
                                                          request.pod + "' exited with status " +
                                                          std::to_string(result->exit_code) + ": " +
                                                          result->stderr_tail);
  }
  return result;
}

core::Result<size_t> PodExecSource::Read(std::span<uint8_t> buf) {
  HS_ASSIGN_OR_RETURN(size_t got, exec_->ReadStdout(buf));
  if (got == 0 && exec_->exit().exit_code != 0) {
    return core::Status(core::ErrorCode::kDumpFailed, "command in the pod exited with status " +
                                                          std::to_string(exec_->exit().exit_code) +
                                                          ": " + exec_->exit().stderr_tail);
  }
  return got;
}

}  // namespace hasteward::platform::kubernetes
