// A MariaDB data directory read without hasteward: mariadbd started alone on it (no configuration
// file: no binlog, no replication, no network, no grants), one query through its socket, then a
// clean shutdown. RescueMariadbWithStockRestic first gets the directory from a native snapshot as
// docs/native-backups.md tells a user to: stock `restic restore`, then `mariadb-backup --prepare`.
// Shared by the tests that prove a snapshot, or a data directory a restore kept, holds its data.
#pragma once

#include <string>

#include "support/hasteward_env.h"

namespace hasteward::testing {

struct MariadbCopy {
  bool ok = false;     // restored, prepared and started, and the query ran
  std::string output;  // what went wrong (the tools' output, the server's error log)
  std::string rows;    // the query's output (batch, tab separated), when ok
};

// Starts mariadbd as `os_user` ("" = root) on `data_dir`, with its socket, pid file and error log
// in `run_dir` (created), runs `sql` and shuts it down (waits until it is gone).
MariadbCopy ReadMariadbDirectory(const std::string& data_dir, const std::string& os_user,
                                 const std::string& run_dir, const std::string& sql);

// Restores `snapshot` into hs.Path(name) with stock restic, prepares `<that>/<data_path>` with
// mariadb-backup as `os_user`, then ReadMariadbDirectory (run files in hs.Path(name + "-run")).
MariadbCopy RescueMariadbWithStockRestic(const HastewardEnv& hs, const std::string& snapshot,
                                         const std::string& name, const std::string& data_path,
                                         const std::string& os_user, const std::string& sql);

}  // namespace hasteward::testing
