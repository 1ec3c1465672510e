// Opening a platform by name, as storage::OpenBackend opens a backend by location. Each platform
// is one folder (src/platform/<name>/) exposing one factory; the table in registry.cpp lists
// them. Selected by --platform / HASTEWARD_PLATFORM (default "local").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::platform {

inline constexpr char kDefaultPlatform[] = "local";

// Which clusters ListClusters and WatchClusters cover on a platform with namespaces (kubernetes;
// local lists its inventory whatever this says). The CLI's is its configuration's namespace, as
// kubectl's; serve's is every namespace its account may list (deploy/'s ClusterRole), or the one
// its config names: an operator in its own namespace serves the databases of the others.
enum class ClusterScope { kConfiguredNamespace, kAllNamespaces, kOneNamespace };

// Everything any platform needs to open; each platform reads its own fields.
struct PlatformOptions {
  std::string name = kDefaultPlatform;  // registry name; "" = kDefaultPlatform
  // local: the inventory file ("" = DefaultInventoryPath()).
  std::string inventory_path;
  // kubernetes: the clusters listed and watched; `scope_namespace` names the one of kOneNamespace.
  ClusterScope cluster_scope = ClusterScope::kConfiguredNamespace;
  std::string scope_namespace;
};

// The registered names, in table order ("local").
std::vector<std::string> PlatformNames();

// Opens the platform `options.name`; kUsage naming the registered platforms when unknown, and
// whatever the platform's factory returns (e.g. kUsage for a malformed inventory).
core::Result<std::unique_ptr<Platform>> OpenPlatform(const PlatformOptions& options);

}  // namespace hasteward::platform
