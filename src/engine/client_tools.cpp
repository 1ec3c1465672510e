#include "engine/client_tools.h"

#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/failpoint.h"
#include "core/fd.h"
#include "core/stop_signal.h"

namespace hasteward::engine {

core::Result<std::string> ToolSecrets::Add(const std::string& name, const std::string& content) {
  // O_CLOEXEC: only the tool started with these fds inherits them (inherit_fds), never a server
  // or another tool forked meanwhile.
  core::UniqueFd fd(::memfd_create(("hasteward-" + name).c_str(), MFD_CLOEXEC));
  if (!fd.valid()) {
    return core::ErrnoStatus("create an in-memory secret file for '" + name + "'", errno);
  }
  // memfds start as 0777; libpq ignores a password file with group/world access and MariaDB a
  // world-writable option file.
  if (::fchmod(fd.get(), 0600) != 0) {
    return core::ErrnoStatus("chmod the in-memory secret file for '" + name + "'", errno);
  }
  HS_TRY(core::WriteAll(fd.get(), core::AsBytes(content)));
  std::string path = "/dev/fd/" + std::to_string(fd.get());
  files_.push_back(std::move(fd));
  return path;
}

std::vector<int> ToolSecrets::fds() const {
  std::vector<int> out;
  for (const auto& f : files_) {
    out.push_back(f.get());
  }
  return out;
}

namespace {

// libpq password files escape ':' and '\' with a backslash.
std::string PgPassEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// MariaDB option files: double-quoted values with backslash escapes.
std::string CnfQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

std::string TrimTail(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) {
    s.pop_back();
  }
  if (s.size() > 2000) {
    s = "..." + s.substr(s.size() - 2000);
  }
  return s;
}

}  // namespace

std::string PgPassLine(const std::string& user, const std::string& password) {
  return "*:*:*:" + PgPassEscape(user) + ":" + PgPassEscape(password) + "\n";
}

std::string MyCnfContent(const std::string& user, const std::string& password) {
  std::string s = "[client]\n";
  if (!user.empty()) {
    s += "user=" + CnfQuote(user) + "\n";
  }
  if (!password.empty()) {
    s += "password=" + CnfQuote(password) + "\n";
  }
  return s;
}

std::string ToolPath(const platform::Instance& instance, const std::string& tool) {
  if (!instance.bin_dir.empty() && ::access((instance.bin_dir + "/" + tool).c_str(), X_OK) == 0) {
    return instance.bin_dir + "/" + tool;
  }
  return tool;
}

std::string DescribeInstance(const platform::Instance& instance) {
  std::string where =
      instance.port > 0 ? instance.host + ":" + std::to_string(instance.port) : instance.socket;
  return "'" + instance.name + "' (" + where + ")";
}

ToolDumpStream::ToolDumpStream(ToolSecrets secrets, core::Subprocess* process,
                               std::unique_ptr<TrailerCheckSource> checked,
                               DumpMetadataParser parser)
    : secrets_(std::move(secrets)),
      process_(process),
      checked_(std::move(checked)),
      parser_(std::move(parser)) {}

core::Result<std::unique_ptr<ToolDumpStream>> ToolDumpStream::Start(core::SubprocessOptions options,
                                                                    ToolSecrets secrets,
                                                                    std::string end_marker,
                                                                    DumpMetadataParser parser) {
  options.helper = true;
  for (int fd : secrets.fds()) {
    options.inherit_fds.push_back(fd);
  }
  options.stdin_mode = core::StdioMode::kNull;
  options.stdout_mode = core::StdioMode::kPipe;
  options.stderr_mode = core::StdioMode::kPipe;
  std::string tool = options.argv.empty() ? "" : options.argv[0];
  auto slash = tool.rfind('/');
  if (slash != std::string::npos) {
    tool = tool.substr(slash + 1);
  }
  HS_ASSIGN_OR_RETURN(auto proc, core::Subprocess::Start(options));
  auto stream = Adopt(std::move(proc), tool, std::move(end_marker), std::move(parser));
  stream->secrets_ = std::move(secrets);
  return stream;
}

std::unique_ptr<ToolDumpStream> ToolDumpStream::Adopt(std::unique_ptr<core::Subprocess> process,
                                                      std::string tool, std::string end_marker,
                                                      DumpMetadataParser parser) {
  core::Subprocess* raw = process.get();
  auto source = std::make_unique<core::ProcessSource>(std::move(process));
  auto checked = std::make_unique<TrailerCheckSource>(std::move(source), std::move(tool),
                                                      std::move(end_marker),
                                                      [raw] { return raw->StderrTail(); });
  return std::unique_ptr<ToolDumpStream>(
      new ToolDumpStream(ToolSecrets(), raw, std::move(checked), std::move(parser)));
}

core::Result<size_t> ToolDumpStream::Read(std::span<uint8_t> buf) {
  HS_ASSIGN_OR_RETURN(size_t n, checked_->Read(buf));
  if (n > 0) {
    core::Failpoint("dump-mid-stream");
  }
  if (n == 0 && checked_->complete() && metadata_.empty() && parser_) {
    metadata_ = parser_(checked_->head(), checked_->tail());
  }
  return n;
}

core::Result<std::unique_ptr<ToolRestoreSink>> ToolRestoreSink::Start(
    core::SubprocessOptions options, ToolSecrets secrets, std::string target,
    RestoreClientEnd end) {
  options.helper = true;
  options.stdin_held_open = true;
  for (int fd : secrets.fds()) {
    options.inherit_fds.push_back(fd);
  }
  options.stdin_mode = core::StdioMode::kPipe;
  options.stdout_mode = core::StdioMode::kNull;
  options.stderr_mode = core::StdioMode::kPipe;
  HS_ASSIGN_OR_RETURN(auto proc, core::Subprocess::Start(options));
  return std::unique_ptr<ToolRestoreSink>(
      new ToolRestoreSink(std::move(secrets), std::make_unique<core::ProcessSink>(std::move(proc)),
                          std::move(target), std::move(end)));
}

core::Status ToolRestoreSink::Annotate(core::Status s) const {
  if (s.ok()) {
    return s;
  }
  core::Status out(core::ErrorCode::kDumpFailed,
                   "restore into " + target_ + " failed: " + TrimTail(s.message()),
                   "the target may be partly restored; fix the cause and run the restore again");
  return out;
}

core::Status ToolRestoreSink::Write(core::ByteView data) {
  HS_TRY(Annotate(sink_->Write(data)));
  constexpr size_t kKeepTail = 4096;
  tail_.append(reinterpret_cast<const char*>(data.data()), data.size());
  if (tail_.size() > 2 * kKeepTail) {
    tail_.erase(0, tail_.size() - kKeepTail);
  }
  core::Failpoint("restore-mid-stream");
  // A stop signal killed the client already; say so instead of a broken pipe on the next write.
  return core::StopStatus();
}

bool ToolRestoreSink::EndedOnQuitError() {
  if (end_.quit_error.empty() || sink_->process().Wait().exit_code != 1) {
    return false;
  }
  // Without --force the client stops at the first error, so the quit error being the last line
  // means every statement before it succeeded.
  std::string tail = TrimTail(sink_->process().StderrTail());
  return tail.size() >= end_.quit_error.size() &&
         tail.compare(tail.size() - end_.quit_error.size(), std::string::npos, end_.quit_error) ==
             0;
}

core::Status ToolRestoreSink::Close() {
  HS_TRY(core::StopStatus());
  if (tail_.find(end_.dump_end_marker) == std::string::npos) {
    sink_->process().Signal(SIGKILL);  // the unterminated tail never runs
    return core::Status(core::ErrorCode::kIncompleteInput,
                        "restore into " + target_ + " stopped: the dump does not end with '" +
                            end_.dump_end_marker + "' (it is truncated)",
                        "the target may be partly restored; restore a complete snapshot");
  }
  HS_TRY(Annotate(sink_->Write(core::AsBytes(end_.quit_command))));
  core::Status closed = sink_->Close();
  if (!closed.ok() && EndedOnQuitError()) {
    return core::Status::Ok();
  }
  return Annotate(closed);
}

RestoreClientEnd PsqlEnd(std::string dump_end_marker) {
  return {std::move(dump_end_marker), "\n\\q\n", ""};
}

RestoreClientEnd MariadbClientEnd(std::string dump_end_marker) {
  return {std::move(dump_end_marker),
          "\nSIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'hasteward: end of restore';\n",
          "hasteward: end of restore"};
}

}  // namespace hasteward::engine

namespace hasteward::engine {

core::Result<std::string> RunOnInstance(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const platform::Instance& instance,
                                        std::vector<std::string> argv) {
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, instance));
  return RunOnInstance(*handle, std::move(argv));
}

core::Result<std::string> RunOnInstance(platform::InstanceHandle& handle,
                                        std::vector<std::string> argv) {
  const platform::Instance& instance = handle.instance();
  core::SubprocessOptions o;
  o.argv = std::move(argv);
  o.env_set["LC_ALL"] = "C";
  o.stdin_mode = core::StdioMode::kNull;
  o.stdout_mode = core::StdioMode::kPipe;
  o.stderr_mode = core::StdioMode::kPipe;
  std::string cmd = core::JoinArgv(o.argv);
  HS_ASSIGN_OR_RETURN(auto proc, handle.Exec(std::move(o)));
  std::string out;
  std::vector<uint8_t> buf(16384);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, core::ReadSome(proc->stdout_fd(), buf));
    if (n == 0)
      break;
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  core::ExitStatus st = proc->Wait();
  if (!st.ok()) {
    return core::Status(core::ErrorCode::kInternal, "'" + cmd + "' on '" + instance.name + "' " +
                                                        st.Describe() + ": " +
                                                        TrimTail(proc->StderrTail()));
  }
  return out;
}

}  // namespace hasteward::engine
