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

// Everything any platform needs to open; each platform reads its own fields.
struct PlatformOptions {
  std::string name = kDefaultPlatform;  // registry name; "" = kDefaultPlatform
  // local: the inventory file ("" = DefaultInventoryPath()).
  std::string inventory_path;
};

// The registered names, in table order ("local").
std::vector<std::string> PlatformNames();

// Opens the platform `options.name`; kUsage naming the registered platforms when unknown, and
// whatever the platform's factory returns (e.g. kUsage for a malformed inventory).
core::Result<std::unique_ptr<Platform>> OpenPlatform(const PlatformOptions& options);

}  // namespace hasteward::platform
