#include "engine/client_tools.h"

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#include "core/fd.h"

namespace hasteward::engine {

core::Result<SecretDir> SecretDir::Create() {
  HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::Create("hasteward-secret-"));
  return SecretDir(std::move(dir));
}

core::Result<std::string> SecretDir::WriteFile(const std::string& name,
                                               const std::string& content) {
  std::string path = dir_.path() + "/" + name;
  core::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return core::ErrnoStatus("create secret file '" + path + "'", errno);
  }
  HS_TRY(core::WriteAll(fd.get(), core::AsBytes(content)));
  return path;
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

ToolDumpStream::ToolDumpStream(SecretDir secrets, core::Subprocess* process,
                               std::unique_ptr<TrailerCheckSource> checked,
                               DumpMetadataParser parser)
    : secrets_(std::move(secrets)),
      process_(process),
      checked_(std::move(checked)),
      parser_(std::move(parser)) {}

core::Result<std::unique_ptr<ToolDumpStream>> ToolDumpStream::Start(core::SubprocessOptions options,
                                                                    SecretDir secrets,
                                                                    std::string end_marker,
                                                                    DumpMetadataParser parser) {
  options.stdin_mode = core::StdioMode::kNull;
  options.stdout_mode = core::StdioMode::kPipe;
  options.stderr_mode = core::StdioMode::kPipe;
  std::string tool = options.argv.empty() ? "" : options.argv[0];
  auto slash = tool.rfind('/');
  if (slash != std::string::npos) {
    tool = tool.substr(slash + 1);
  }
  HS_ASSIGN_OR_RETURN(auto proc, core::Subprocess::Start(options));
  core::Subprocess* raw = proc.get();
  auto source = std::make_unique<core::ProcessSource>(std::move(proc));
  auto checked = std::make_unique<TrailerCheckSource>(
      std::move(source), tool, std::move(end_marker), [raw] { return raw->StderrTail(); });
  return std::unique_ptr<ToolDumpStream>(
      new ToolDumpStream(std::move(secrets), raw, std::move(checked), std::move(parser)));
}

core::Result<size_t> ToolDumpStream::Read(std::span<uint8_t> buf) {
  HS_ASSIGN_OR_RETURN(size_t n, checked_->Read(buf));
  if (n == 0 && checked_->complete() && metadata_.empty() && parser_) {
    metadata_ = parser_(checked_->head(), checked_->tail());
  }
  return n;
}

core::Result<std::unique_ptr<ToolRestoreSink>> ToolRestoreSink::Start(
    core::SubprocessOptions options, SecretDir secrets, std::string target) {
  options.stdin_mode = core::StdioMode::kPipe;
  options.stdout_mode = core::StdioMode::kNull;
  options.stderr_mode = core::StdioMode::kPipe;
  HS_ASSIGN_OR_RETURN(auto proc, core::Subprocess::Start(options));
  return std::unique_ptr<ToolRestoreSink>(new ToolRestoreSink(
      std::move(secrets), std::make_unique<core::ProcessSink>(std::move(proc)), std::move(target)));
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
  return Annotate(sink_->Write(data));
}

core::Status ToolRestoreSink::Close() {
  return Annotate(sink_->Close());
}

}  // namespace hasteward::engine

namespace hasteward::engine {

core::Result<std::string> RunOnInstance(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const platform::Instance& instance,
                                        std::vector<std::string> argv) {
  core::SubprocessOptions o;
  o.argv = std::move(argv);
  o.env_set["LC_ALL"] = "C";
  o.stdin_mode = core::StdioMode::kNull;
  o.stdout_mode = core::StdioMode::kPipe;
  o.stderr_mode = core::StdioMode::kPipe;
  std::string cmd = core::JoinArgv(o.argv);
  HS_ASSIGN_OR_RETURN(auto proc, platform.Exec(cluster, instance, std::move(o)));
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
