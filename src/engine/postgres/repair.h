#pragma once

#include "engine/repair.h"

namespace hasteward::engine::postgres {

// Re-clones a standby from the primary: fence (stop) it, move its data directory aside (kept until
// the heal succeeds; its path is logged), pg_basebackup -R -X stream from the primary as the
// instance's OS user (the password reaches the tool on stdin, never argv), restore the instance's
// own configuration (its old postgresql.conf/pg_hba.conf, else port/socket/cluster_name from the
// inventory), start it (unfence) and wait until it streams. On failure the moved-aside data
// directory stays where the log says.
core::Status HealStandby(platform::Platform& platform, const platform::Cluster& cluster,
                         const platform::Instance& target, const platform::Instance& primary,
                         const HealOptions& options);

// postgresql.conf lines giving `instance` its inventory port, listen address, socket directory and
// cluster_name (later lines win), headed by a comment naming `why` ("repair", "native restore").
std::string OwnSettings(const platform::Instance& instance, const std::string& why);

// Appends OwnSettings(target, why) to the target's config file (the inventory's, else
// postgresql.conf in its data directory); the file's path. Nothing is written when the operator
// owns the settings (Instance::settings_owner).
core::Result<std::string> AppendOwnSettings(platform::Platform& platform,
                                            const platform::Cluster& cluster,
                                            const platform::Instance& target,
                                            const std::string& why);

}  // namespace hasteward::engine::postgres
