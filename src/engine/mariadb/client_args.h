// engine/mariadb/client_args: how every MariaDB client tool HASteward starts (mariadb,
// mariadb-dump, the binlog replay) reaches an instance: credentials in an in-memory option file
// (never argv, never disk), the cluster's admin user, TCP or the socket.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/client_tools.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// Appends the tool's path and its connection options for `inst` to `argv`; returns the secrets
// the tool reads (keep them alive until it exits).
core::Result<ToolSecrets> MariadbClientArgs(const platform::Cluster& cluster,
                                            const platform::Instance& inst, const std::string& tool,
                                            std::vector<std::string>* argv);

}  // namespace hasteward::engine::mariadb
