#include "platform/local/local_instance.h"

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/os_user.h"
#include "platform/local/instance_control.h"

namespace hasteward::platform {

namespace {

core::Status FsyncDir(const std::string& dir) {
  core::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    return core::ErrnoStatus("fsync directory '" + dir + "'", errno);
  }
  return core::Status::Ok();
}

// Writes `content` to a temp file beside `path`, hands it to `os_user` and fsyncs it, renames it
// over `path` and fsyncs the directory: a reader (the server) sees the old or the new file, and
// a crash after return keeps the new one.
// TODO(reposhared): switch to the core atomic-write helper once it is on main.
core::Status WriteDurably(const std::string& path, const std::string& content, unsigned mode,
                          const std::string& os_user) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  std::string tmp = path + ".hasteward-tmp." + std::to_string(::getpid());
  core::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) {
    return core::ErrnoStatus("create '" + tmp + "'", errno);
  }
  core::Status st = core::WriteAll(fd.get(), core::AsBytes(content));
  if (st.ok() && ::fchmod(fd.get(), mode) != 0) {  // the umask may have narrowed it
    st = core::ErrnoStatus("chmod '" + tmp + "'", errno);
  }
  if (st.ok() && !os_user.empty() && core::RunningAsRoot()) {
    auto user = core::LookupOsUser(os_user);
    st = user.ok() ? core::Status::Ok() : user.status();
    if (st.ok() && ::fchown(fd.get(), user->uid, user->gid) != 0) {
      st = core::ErrnoStatus("chown '" + tmp + "' to '" + os_user + "'", errno);
    }
  }
  if (st.ok() && ::fsync(fd.get()) != 0) {
    st = core::ErrnoStatus("fsync '" + tmp + "'", errno);
  }
  fd.Reset();
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = core::ErrnoStatus("rename '" + tmp + "' to '" + path + "'", errno);
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return FsyncDir(dir.empty() ? "." : dir);
}

}  // namespace

Capabilities LocalInstance::capabilities() const {
  // Nothing restarts a stopped local server, so a stop is already a fence.
  return {Capability::kCanStartStop, Capability::kLocalFilesystem, Capability::kDataDirFiles};
}

Endpoint LocalInstance::endpoint() const {
  return Endpoint{instance().host, instance().port, instance().socket};
}

core::Result<std::unique_ptr<core::Subprocess>> LocalInstance::Exec(
    core::SubprocessOptions options) {
  return ExecLocal(instance(), std::move(options));
}

core::Result<std::string> LocalInstance::ReadDataFile(const std::string& relative_path) {
  HS_TRY(CheckRelativeDataPath(relative_path));
  auto text = core::ReadFileToString(instance().data_dir + "/" + relative_path);
  if (!text.ok()) {
    return text.TakeStatus().Wrap("read '" + relative_path + "' of instance '" + instance().name +
                                  "'");
  }
  return text;
}

core::Status LocalInstance::WriteDataFile(const std::string& relative_path,
                                          const std::string& content, unsigned mode) {
  HS_TRY(CheckRelativeDataPath(relative_path));
  if (instance().data_dir.empty()) {
    return core::Usage("instance '" + instance().name + "' has no data directory",
                       "set dataDir for it in the inventory");
  }
  return WriteDurably(instance().data_dir + "/" + relative_path, content, mode, instance().os_user)
      .Wrap("write '" + relative_path + "' of instance '" + instance().name + "'");
}

core::Status LocalInstance::Start(std::chrono::milliseconds timeout) {
  return StartLocalInstance(cluster().engine, instance(), timeout);
}

core::Status LocalInstance::StartNewCluster(std::chrono::milliseconds timeout) {
  return StartLocalInstance(cluster().engine, instance(), timeout, StartMode::kBootstrapNewCluster);
}

core::Status LocalInstance::Stop(std::chrono::milliseconds timeout) {
  return StopLocalInstance(cluster().engine, instance(), timeout);
}

// A fence must hold against a server that hangs (stopped, swapping, stuck in I/O) as much as
// against a healthy one: the stop command gets half the time, then the process is killed with
// SIGKILL, which a stopped process cannot ignore. The data on disk stays as a crash leaves it.
core::Status LocalInstance::Fence(std::chrono::milliseconds timeout) {
  core::Status stopped = Stop(timeout / 2);
  if (stopped.code() != core::ErrorCode::kTimeout)
    return stopped;
  return KillLocalInstance(cluster().engine, instance(), timeout / 2)
      .WithHint("its stop command did not end it within " + std::to_string((timeout / 2).count()) +
                " ms either");
}

core::Result<bool> LocalInstance::IsRunning() {
  return RunningPid(cluster().engine, instance()).has_value();
}

}  // namespace hasteward::platform
