#include "engine/mariadb/semisync_role.h"

#include "engine/mariadb/option_overrides.h"
#include "engine/mariadb/override_file.h"
#include "engine/mariadb/semisync_mode.h"

namespace hasteward::engine::mariadb {

std::string PersistSemisyncRole(platform::Platform& platform, const platform::Cluster& cluster,
                                const platform::Instance& instance, MariadbConnection& conn,
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
  auto handle = platform.OpenInstance(cluster, instance);
  if (!handle.ok())
    return handle.status().message();
  auto saved = PersistOverrides(**handle, values);
  return saved.ok() ? "" : saved.status().message();
}

std::string SemisyncRoleDetail(platform::Platform& platform, const platform::Cluster& cluster,
                               const platform::Instance& instance, MariadbConnection& conn,
                               bool primary) {
  std::string why = PersistSemisyncRole(platform, cluster, instance, conn, primary);
  std::string side = primary ? "master" : "replica";
  if (why.empty())
    return " (semi-sync " + side + " side on, persisted in its config)";
  return " (semi-sync " + side + " side on; not persisted in '" + instance.name +
         "' config, a restart would change its replication mode: " + why + ")";
}

bool RunsSemisyncMaster(MariadbConnection& conn) {
  auto on = conn.QueryValue("SELECT @@global.rpl_semi_sync_master_enabled");
  return on.ok() && (on->value_or("") == "1" || on->value_or("") == "ON");
}

}  // namespace hasteward::engine::mariadb
