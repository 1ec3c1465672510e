#include "engine/mariadb/semisync_primary.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "engine/client_tools.h"

namespace hasteward::engine::mariadb {

namespace {

core::Status Refuse(const std::string& why) {
  return core::Status(core::ErrorCode::kSafetyStop, "--require-sync: " + why,
                      "a commit the old primary acknowledged may be on no replica; --force "
                      "promotes the most advanced replica anyway");
}

}  // namespace

bool EnablesSemisyncMaster(const std::string& print_defaults) {
  std::istringstream in(print_defaults);
  bool enabled = false;
  for (std::string line; std::getline(in, line);) {  // a later line overrides an earlier one
    if (line.rfind("--", 0) != 0)
      continue;
    size_t eq = line.find('=');
    std::string name = line.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::replace(name.begin(), name.end(), '-', '_');
    if (name != "rpl_semi_sync_master_enabled")
      continue;
    std::string value = eq == std::string::npos ? "ON" : line.substr(eq + 1);
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    enabled = value == "ON" || value == "1" || value == "TRUE";
  }
  return enabled;
}

core::Result<std::string> RequireSemisyncPrimary(
    platform::InstanceHandle& old_primary_handle,
    const std::vector<const InstanceProbe*>& replicas) {
  const platform::Instance& old_primary = old_primary_handle.instance();
  if (old_primary.config_file.empty())
    return Refuse("the inventory names no config file for '" + old_primary.name + "'");
  auto defaults = RunOnInstance(old_primary_handle,
                                {"my_print_defaults", "--defaults-file=" + old_primary.config_file,
                                 "mysqld", "server", "mariadb", "mariadbd"});
  if (!defaults.ok()) {
    return Refuse("cannot read the configuration of '" + old_primary.name +
                  "': " + defaults.status().message());
  }
  if (!EnablesSemisyncMaster(*defaults)) {
    return Refuse("the configuration of the old primary '" + old_primary.name +
                  "' does not enable rpl_semi_sync_master_enabled: it committed asynchronously");
  }
  std::string acknowledging;
  for (const auto* replica : replicas) {
    auto it = replica->vars.find("rpl_semi_sync_slave_enabled");
    if (replica->status.ok() && it != replica->vars.end() && it->second == "ON")
      acknowledging += (acknowledging.empty() ? "'" : ", '") + replica->instance->name + "'";
  }
  if (acknowledging.empty())
    return Refuse("no readable replica has rpl_semi_sync_slave_enabled = ON");
  return "rpl_semi_sync_master_enabled=ON in " + old_primary.config_file +
         "; acknowledging: " + acknowledging;
}

}  // namespace hasteward::engine::mariadb
