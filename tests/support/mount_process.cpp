#include "support/mount_process.h"

#include <algorithm>
#include <vector>

#include <unistd.h>

#include "core/mount_table.h"
#include "core/poll_until.h"
#include "support/command.h"

namespace hasteward::testing {

using namespace std::chrono_literals;

std::string FuseUnavailableReason() {
  if (::access("/dev/fuse", R_OK | W_OK) != 0)
    return "/dev/fuse cannot be opened";
  if (::access("/usr/bin/fusermount3", X_OK) != 0 && ::access("/bin/fusermount3", X_OK) != 0)
    return "fusermount3 is not installed (tools/setup.sh installs fuse3)";
  return "";
}

bool IsMountpoint(const std::string& path) {
  return core::IsMountpoint(path);
}

bool HastewardFuseMountUnder(const std::string& dir) {
  auto mounts = core::ReadMountTable();
  return std::any_of(mounts.begin(), mounts.end(), [&](const core::MountEntry& mount) {
    bool below = mount.mountpoint == dir || mount.mountpoint.starts_with(dir + "/");
    return below && mount.fstype == "fuse.hasteward";
  });
}

core::Result<std::unique_ptr<MountProcess>> MountProcess::Start(
    const std::vector<std::string>& args, const std::string& mountpoint,
    const std::map<std::string, std::string>& env) {
  core::SubprocessOptions o;
  o.argv = {HastewardBin(), "mount"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.argv.push_back(mountpoint);
  o.env_set = env;
  o.stdout_mode = core::StdioMode::kNull;
  HS_ASSIGN_OR_RETURN(auto process, core::Subprocess::Start(o));
  std::unique_ptr<MountProcess> mount(new MountProcess(std::move(process), mountpoint));
  bool exited = false;
  bool mounted = core::PollUntil(
      [&] {
        exited = mount->process_->WaitFor(0ms).has_value();
        return exited || IsMountpoint(mountpoint);
      },
      60s);
  if (!mounted || exited) {
    mount->Stop(SIGTERM);
    return core::Status(core::ErrorCode::kTimeout,
                        std::string(exited ? "mount exited" : "mount did not appear in 60 s") +
                            ": " + mount->err());
  }
  return mount;
}

int MountProcess::Stop(int sig) {
  if (stopped_)
    return process_->Wait().exit_code;
  stopped_ = true;
  process_->Signal(sig);
  auto status = process_->WaitFor(60s);
  if (!status) {
    process_->Signal(SIGKILL);
    process_->Wait();
  }
  // A killed mount leaves its mountpoint "transport endpoint not connected": detach it so the
  // temp dir can go.
  if (IsMountpoint(mountpoint_))
    RunCommand({"fusermount3", "-u", "-z", mountpoint_});
  return status ? status->exit_code : -2;
}

MountProcess::~MountProcess() {
  Stop(SIGTERM);
}

}  // namespace hasteward::testing
