// catalog/wal/wal_path: where WAL snapshots keep the archived files.
#pragma once

#include <string>

#include "platform/platform.h"

namespace hasteward::catalog {

// "<ns>/<cluster>/wal": where WAL snapshots keep the archived files (stock `restic dump <id>
// /<ns>/<cluster>/wal/<file>` gives one back).
std::string WalPath(const platform::Cluster& cluster);

}  // namespace hasteward::catalog
