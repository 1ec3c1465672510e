// The Reconfigure capability of PostgreSQL: settings are checked against the server's own
// catalogue (pg_settings: known, context, type, unit, range, enum values) on every instance before
// anything changes, written with ALTER SYSTEM (which rewrites postgresql.auto.conf atomically and
// validates the value itself), made effective with pg_reload_conf() or, for settings read only at
// start, a rolling restart, and put back on the instances already changed when a later one fails.
// The replication mode is synchronous_standby_names on every instance (reconfigure_request.h).
#pragma once

#include <optional>
#include <string>

#include "engine/postgres/auto_conf_undo.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/setting_value.h"
#include "engine/reconfigure.h"

namespace hasteward::engine::postgres {

// The setting `name` (already normalized) as the server describes it, with the value its
// configuration files give it; nullopt when the server has no such setting.
core::Result<std::optional<PgSetting>> QuerySetting(PgConnection& conn, const std::string& name);

// The lines of postgresql.auto.conf (what ALTER SYSTEM wrote) in file order.
core::Result<AutoConfEntries> QueryAutoConf(PgConnection& conn);

class PostgresReconfigure : public Reconfigure {
 public:
  core::Result<ReconfigurePlan> PlanReconfigure(platform::Platform& platform,
                                                const platform::Cluster& cluster,
                                                const ReconfigureRequest& request) override;
  core::Status ApplyReconfigure(platform::Platform& platform, const platform::Cluster& cluster,
                                const ReconfigurePlan& plan,
                                const ReconfigureRequest& request) override;
};

}  // namespace hasteward::engine::postgres
