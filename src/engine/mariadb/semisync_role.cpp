#include "engine/mariadb/semisync_role.h"

#include "engine/mariadb/option_overrides.h"
#include "engine/mariadb/override_file.h"
#include "engine/mariadb/semisync_mode.h"

namespace hasteward::engine::mariadb {

std::string PersistSemisyncRole(const platform::InstanceHandle& instance, MariadbConnection& conn,
                                bool primary) {
  OptionOverrides values{{kSemisyncMasterEnabled, primary ? "ON" : "OFF"},
                         {kSemisyncSlaveEnabled, primary ? "OFF" : "ON"}};
  if (primary) {
    // The wait point it runs with: triage compares it with the persisted one, and changing it
    // here would silently change what an acknowledged commit means.
    auto point = conn.QueryValue("SELECT @@global.rpl_semi_sync_master_wait_point");
    if (point.ok() && point->has_value())
      values[kSemisyncWaitPoint] = **point;
  }
  auto saved = PersistOverrides(instance, values);
  return saved.ok() ? "" : saved.status().message();
}

std::string SemisyncRoleDetail(const platform::InstanceHandle& instance, MariadbConnection& conn,
                               bool primary) {
  std::string why = PersistSemisyncRole(instance, conn, primary);
  std::string side = primary ? "master" : "replica";
  if (why.empty())
    return " (semi-sync " + side + " side on, persisted in its config)";
  return " (semi-sync " + side + " side on; not persisted in '" + instance.instance().name +
         "' config, a restart would change its replication mode: " + why + ")";
}

bool RunsSemisyncMaster(MariadbConnection& conn) {
  auto on = conn.QueryValue("SELECT @@global.rpl_semi_sync_master_enabled");
  return on.ok() && (on->value_or("") == "1" || on->value_or("") == "ON");
}

}  // namespace hasteward::engine::mariadb
