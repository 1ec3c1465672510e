#include "platform/state_dir.h"

#include <cstdlib>

#include "core/os_user.h"

namespace hasteward::platform {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

std::string DefaultStateDir() {
  if (auto v = Env("HASTEWARD_STATE_DIR"); !v.empty()) {
    return v;
  }
  if (auto v = Env("XDG_STATE_HOME"); !v.empty()) {
    return v + "/hasteward";
  }
  std::string home = Env("HOME");
  if (home.empty()) {
    home = core::CurrentOsUser().home;
  }
  return home + "/.local/state/hasteward";
}

std::string DefaultInventoryPath() {
  if (auto v = Env("HASTEWARD_INVENTORY"); !v.empty()) {
    return v;
  }
  return DefaultStateDir() + "/inventory.yaml";
}

}  // namespace hasteward::platform
