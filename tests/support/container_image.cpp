#include "support/container_image.h"

#include "core/subprocess.h"
#include "support/command.h"
#include "support/source_dir.h"

namespace hasteward::testing {

namespace {

// podman through runc: crun refuses this machine's hybrid cgroup layout (v1 controllers beside an
// empty v2 tree), which runc accepts.
const std::vector<std::string> kPodman = {"podman", "--runtime", "runc"};

// Limits the container may set without privileges: podman's defaults (1048576 open files) lie
// above this machine's hard limits, and a container without CAP_SYS_RESOURCE may only lower them.
const std::vector<std::string> kLimitFlags = {"--ulimit", "nofile=4096:4096", "--ulimit",
                                              "nproc=4096:4096"};

// Where every image build of this machine keeps what deploy/image/build.sh --cache-dir reuses:
// Debian's .deb files and the debootstrap root of the same release file and package list, which
// took 150 to 175 s of each build. A cached root is exactly what debootstrap made for those inputs;
// a new Debian point release or package list runs debootstrap again. Outside the build tree, so a
// clean clone's run finds it too.
constexpr char kImageCache[] = "/var/cache/hasteward-test/image";

}  // namespace

core::Result<ContainerImage> ContainerImage::Build(const std::string& tag) {
  core::SubprocessOptions o;
  o.argv = {SourceDir() + "/deploy/image/build.sh",
            "--binary",
            HastewardBin(),
            "--tag",
            tag,
            "--cache-dir",
            kImageCache};
  auto ran = core::Run(o);
  if (!ran.ok())
    return ran.TakeStatus();
  std::string log = ran->out + ran->err;
  if (!ran->status.ok()) {
    return core::Status(core::ErrorCode::kInternal,
                        "deploy/image/build.sh " + ran->status.Describe() + ":\n" + log);
  }
  return ContainerImage(tag, std::move(log));
}

ContainerImage::ContainerImage(ContainerImage&& other) noexcept
    : tag_(std::move(other.tag_)), build_log_(std::move(other.build_log_)) {
  other.tag_.clear();
}

ContainerImage::~ContainerImage() {
  if (tag_.empty())
    return;
  core::SubprocessOptions o;
  o.argv = kPodman;
  o.argv.insert(o.argv.end(), {"rmi", "--force", tag_});
  (void)core::Run(o);
}

std::vector<std::string> ContainerImage::RunArgv(
    const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
    const std::vector<std::string>& shared_dirs) const {
  std::vector<std::string> argv = kPodman;
  argv.insert(argv.end(), {"run", "--rm", "--network", "host"});
  // The securityContext of deploy/operator/deployment.yaml: a read-only root with an emptyDir at
  // /tmp, no capabilities, no privilege escalation.
  argv.insert(argv.end(), {"--read-only", "--tmpfs", "/tmp", "--cap-drop", "all", "--security-opt",
                           "no-new-privileges"});
  argv.insert(argv.end(), kLimitFlags.begin(), kLimitFlags.end());
  for (const auto& [name, value] : env)
    argv.insert(argv.end(), {"--env", name + "=" + value});
  for (const auto& dir : shared_dirs)
    argv.insert(argv.end(), {"--volume", dir + ":" + dir});
  argv.push_back(tag_);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

core::Result<std::string> ContainerImage::Inspect(const std::string& go_template) const {
  core::SubprocessOptions o;
  o.argv = kPodman;
  o.argv.insert(o.argv.end(), {"image", "inspect", "--format", go_template, tag_});
  return core::RunChecked(o);
}

}  // namespace hasteward::testing
