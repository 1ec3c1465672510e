// `failover --require-sync` on MariaDB: the old primary acknowledged a commit only once a
// semi-sync replica had received it. Its own configuration must enable the semi-sync master side
// (read with my_print_defaults from its config file, which works with the server down: a setting
// made only with SET GLOBAL proves nothing after a crash), and a replica must acknowledge.
//
// RPO: 0 for acknowledged commits while semi-sync held. A primary that waited
// rpl_semi_sync_master_timeout without an acknowledgement fell back to asynchronous commits until
// a replica caught up, and what it acknowledged meanwhile may be on no replica; nothing read after
// the crash can tell, so that window is the RPO left.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/mariadb/mariadb_engine.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// What shows it ("rpl_semi_sync_master_enabled=ON in <config>; acknowledging: 'db-1', 'db-2'");
// kSafetyStop when the old primary's config does not enable it, cannot be read, or no readable
// replica has the slave side enabled.
core::Result<std::string> RequireSemisyncPrimary(platform::InstanceHandle& old_primary_handle,
                                                 const std::vector<const InstanceProbe*>& replicas);

// Whether my_print_defaults output ("--name=value" per line) enables the semi-sync master side.
bool EnablesSemisyncMaster(const std::string& print_defaults);

}  // namespace hasteward::engine::mariadb
