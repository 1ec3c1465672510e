#include "repo/index/index_options.h"

#include <cstdlib>

#include "repo/crypto/crypto.h"

namespace hasteward::repo {

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

}  // namespace

core::Result<IndexOptions> IndexOptionsFromEnvironment(const std::string& location) {
  IndexOptions options;
  const std::string mode = Env("HASTEWARD_INDEX");
  if (mode == "memory") {
    options.mode = IndexMode::kMemory;
  } else if (mode == "disk") {
    options.mode = IndexMode::kDisk;
  } else if (!mode.empty() && mode != "auto") {
    return core::Usage("HASTEWARD_INDEX is '" + mode + "'", "set it to auto, memory or disk");
  }
  std::string base = Env("HASTEWARD_INDEX_CACHE_DIR");
  if (base.empty()) {
    if (std::string xdg = Env("XDG_CACHE_HOME"); !xdg.empty()) {
      base = xdg + "/hasteward/blob-index";
    } else if (std::string home = Env("HOME"); !home.empty()) {
      base = home + "/.cache/hasteward/blob-index";
    } else {
      return options;  // no cache: the index stays in memory
    }
  }
  // One directory per repository: building one repository's index removes the stale files of
  // its directory, never another repository's.
  const std::string key = IdToHex(
      Sha256(core::ByteView(reinterpret_cast<const uint8_t*>(location.data()), location.size())));
  options.cache_dir = base + "/" + key.substr(0, 16);
  return options;
}

}  // namespace hasteward::repo
