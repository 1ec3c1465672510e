// The Reconfigure capability of the MariaDB family (replication and Galera): variables are checked
// against the server's own catalogue (information_schema.SYSTEM_VARIABLES: known, global, dynamic
// or read-only, type, enum values) on every instance before anything changes, set with SET GLOBAL
// where dynamic, persisted in the instance's override file (override_file.h), and put back when a
// later step fails. The replication mode (replication engine only) maps to the semi-sync
// variables per role (semisync_mode.h).
#pragma once

#include <optional>
#include <string>

#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/option_overrides.h"
#include "engine/reconfigure.h"

namespace hasteward::engine::mariadb {

// One row of information_schema.SYSTEM_VARIABLES.
struct ServerVariable {
  std::string name;  // lowercase
  std::string global_value;
  std::string default_value;
  VariableType type = VariableType::kString;
  std::string enum_values;  // ENUM_VALUE_LIST, comma-separated ("" when not an enum)
  bool read_only = false;   // static: the server reads it only at start
  bool session_only = false;
};

// The variable named `name` (already normalized), or nullopt when the server has none.
core::Result<std::optional<ServerVariable>> QueryServerVariable(MariadbConnection& conn,
                                                                const std::string& name);

class MariadbReconfigure : public Reconfigure {
 public:
  // `galera`: nodes are equal (no replication mode; restarts wait for Synced).
  explicit MariadbReconfigure(bool galera) : galera_(galera) {}
  core::Result<ReconfigurePlan> PlanReconfigure(platform::Platform& platform,
                                                const platform::Cluster& cluster,
                                                const ReconfigureRequest& request) override;
  core::Status ApplyReconfigure(platform::Platform& platform, const platform::Cluster& cluster,
                                const ReconfigurePlan& plan,
                                const ReconfigureRequest& request) override;

 private:
  bool galera_;
};

}  // namespace hasteward::engine::mariadb
