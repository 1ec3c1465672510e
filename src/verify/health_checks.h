// verify/health_checks: proving a restored instance healthy — every database and table readable,
// per-table row counts and checksums, and the engine's own consistency checks (PostgreSQL
// amcheck: bt_index_check with heapallindexed and verify_heapam, when the extension is
// available; MariaDB CHECK TABLE). Every problem becomes a failure line; nothing here throws or
// stops at the first problem.
#pragma once

#include <string>
#include <vector>

#include "platform/platform.h"
#include "verify/report.h"

namespace hasteward::verify {

struct CheckResult {
  std::vector<TableEvidence> tables;
  std::vector<std::string> failures;
  std::vector<std::string> notes;
};

// Checks the cluster's first instance with its admin credentials.
CheckResult CheckPostgres(const platform::Cluster& cluster);
CheckResult CheckMariadb(const platform::Cluster& cluster);
CheckResult CheckRestored(const platform::Cluster& cluster);

// PostgreSQL: sets the admin role's password back to the scratch instance's own (a pg_dumpall
// restore brings the source cluster's role passwords) over the unix socket with peer
// authentication, SQL on stdin. No-op for other engines.
core::Status ResetAdminPassword(const platform::Cluster& cluster);

}  // namespace hasteward::verify
