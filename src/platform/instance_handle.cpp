#include "platform/instance_handle.h"

#include <filesystem>

#include "core/fd.h"

namespace hasteward::platform {

core::Result<core::RunOutput> InstanceHandle::Run(std::vector<std::string> argv) {
  core::SubprocessOptions o;
  o.argv = std::move(argv);
  o.stdin_mode = core::StdioMode::kNull;
  o.stdout_mode = core::StdioMode::kPipe;
  o.stderr_mode = core::StdioMode::kPipe;
  HS_ASSIGN_OR_RETURN(auto proc, Exec(std::move(o)));
  core::RunOutput out;
  std::vector<uint8_t> buf(16384);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, core::ReadSome(proc->stdout_fd(), buf));
    if (n == 0) {
      break;
    }
    out.out.append(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  out.status = proc->Wait();
  out.err = proc->StderrAll();
  return out;
}

InstanceHandle::KeptCopies InstanceHandle::KeptCopiesOf(const std::string& stamp) const {
  return KeptCopies{instance().data_dir + ".hasteward-kept-" + stamp, ""};
}

core::Status InstanceHandle::CheckRelativeDataPath(const std::string& relative_path) {
  std::filesystem::path p(relative_path);
  bool escapes = false;
  for (const auto& part : p) {
    escapes = escapes || part == "..";
  }
  // A data-directory file is addressed relative to the data directory so the same call works
  // where the directory is mounted elsewhere (a pod); ".." could leave it.
  if (relative_path.empty() || p.is_absolute() || escapes) {
    return core::Usage("data-directory path '" + relative_path +
                           "' is not a relative path inside the data directory",
                       "give a path relative to the data directory, without '..'");
  }
  return core::Status::Ok();
}

}  // namespace hasteward::platform
