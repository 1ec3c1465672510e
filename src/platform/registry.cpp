#include "platform/registry.h"

#include <array>

#include "platform/kubernetes/kubernetes_platform.h"
#include "platform/local/local_platform.h"

namespace hasteward::platform {

namespace {

using Factory = core::Result<std::unique_ptr<Platform>> (*)(const PlatformOptions&);

struct Registration {
  const char* name;
  Factory open;
};

core::Result<std::unique_ptr<Platform>> OpenLocal(const PlatformOptions& options) {
  HS_ASSIGN_OR_RETURN(auto local, LocalPlatform::Open(options.inventory_path));
  return std::unique_ptr<Platform>(std::move(local));
}

core::Result<std::unique_ptr<Platform>> OpenKubernetes(const PlatformOptions& options) {
  HS_ASSIGN_OR_RETURN(auto kube, kubernetes::KubernetesPlatform::Open(kubernetes::ProcessEnv()));
  switch (options.cluster_scope) {
    case ClusterScope::kConfiguredNamespace: break;
    case ClusterScope::kAllNamespaces:
      kube->ListIn(kubernetes::KubernetesPlatform::kAllNamespaces);
      break;
    case ClusterScope::kOneNamespace: kube->ListIn(options.scope_namespace); break;
  }
  return std::unique_ptr<Platform>(std::move(kube));
}

// One row per platform folder. The table is explicit rather than filled by static registrars
// in each folder: the layer is a static library, and the linker drops object files nothing
// references, registrars included.
constexpr std::array<Registration, 2> kPlatforms = {{
    {"local", &OpenLocal},
    {"kubernetes", &OpenKubernetes},
}};

std::string JoinedNames() {
  std::string out;
  for (const auto& r : kPlatforms) {
    out += (out.empty() ? "" : ", ") + std::string(r.name);
  }
  return out;
}

}  // namespace

std::vector<std::string> PlatformNames() {
  std::vector<std::string> out;
  out.reserve(kPlatforms.size());
  for (const auto& r : kPlatforms) {
    out.emplace_back(r.name);
  }
  return out;
}

core::Result<std::unique_ptr<Platform>> OpenPlatform(const PlatformOptions& options) {
  std::string name = options.name.empty() ? kDefaultPlatform : options.name;
  for (const auto& r : kPlatforms) {
    if (name == r.name) {
      return r.open(options);
    }
  }
  return core::Usage("unknown platform '" + name + "'",
                     "use --platform (or HASTEWARD_PLATFORM) with one of: " + JoinedNames());
}

}  // namespace hasteward::platform
