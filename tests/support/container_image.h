// The HASteward container image, built by deploy/image/build.sh (debootstrap + buildah, no
// registry) from the binary under test, and the `podman run` command lines that start it on the
// host network: what the image test runs instead of the binary, with the same arguments.
//
//   auto image = ContainerImage::Build("localhost/hasteward:test");
//   argv = image->RunArgv({"serve", "--config", path}, env, {hs.dir()});
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::testing {

class ContainerImage {
 public:
  // Builds the image `tag` (minutes for a debootstrap of Debian 12; a minute once its root is
  // cached). Its output is kept in build_log() for a failing test to show.
  static core::Result<ContainerImage> Build(const std::string& tag);

  ContainerImage(ContainerImage&& other) noexcept;
  ContainerImage& operator=(ContainerImage&&) = delete;
  ContainerImage(const ContainerImage&) = delete;
  ContainerImage& operator=(const ContainerImage&) = delete;
  ~ContainerImage();  // removes the image

  // `podman run` of the image's entrypoint (hasteward) with `args`: host network, the image's own
  // unprivileged user and the operator Deployment's securityContext, each of `env` as --env, each
  // of `shared_dirs` mounted at the same path.
  std::vector<std::string> RunArgv(const std::vector<std::string>& args,
                                   const std::map<std::string, std::string>& env,
                                   const std::vector<std::string>& shared_dirs) const;

  const std::string& tag() const { return tag_; }
  const std::string& build_log() const { return build_log_; }
  // The image's configured user and entrypoint, as `podman image inspect` reports them.
  core::Result<std::string> Inspect(const std::string& go_template) const;

 private:
  ContainerImage(std::string tag, std::string log)
      : tag_(std::move(tag)), build_log_(std::move(log)) {}
  std::string tag_;
  std::string build_log_;
};

}  // namespace hasteward::testing
