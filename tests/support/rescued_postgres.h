// A native PostgreSQL snapshot rescued without hasteward: stock `restic restore` into a directory,
// pg_verifybackup over the data directory in it, postgres started there on a port of its own to
// run one query, then stopped. Shared by the tests that prove a snapshot (full or incremental)
// stands on its own.
#pragma once

#include <string>

#include "support/hasteward_env.h"

namespace hasteward::testing {

struct RescuedPostgres {
  int verify_exit = -1;
  std::string verify_output;  // pg_verifybackup's, for a failure message
  bool started = false;
  std::string start_output;  // pg_ctl's, for a failure message
  std::string rows;          // the query's output (psql -A -t), empty when it did not start
};

// Restores `snapshot` into hs.Path(name), checks `<that>/<data_path>` with pg_verifybackup, starts
// postgres on it at `port` (archive_mode off: it never archives as the source) and runs `sql`
// there.
RescuedPostgres RescueWithStockRestic(const HastewardEnv& hs, const std::string& snapshot,
                                      const std::string& name, const std::string& data_path,
                                      int port, const std::string& sql);

}  // namespace hasteward::testing
