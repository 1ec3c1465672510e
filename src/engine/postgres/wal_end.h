// The end of a stopped PostgreSQL instance's WAL. Its last checkpoint is only a lower bound: a
// crashed primary committed after it, and those commits are in pg_wal. pg_waldump reads from the
// checkpoint's redo point until the first record that does not check out, which is where the
// server's own crash recovery stops too, and its closing error names that position.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hasteward::engine::postgres {

struct WalEnd {
  uint64_t lsn = 0;
  // True: the position after the last valid record (the error named where the next record
  // would start). False: only the start of the last valid record was named, a lower bound.
  bool exact = false;
};

// From `pg_waldump --quiet` output (stderr): "error in WAL record at X: invalid record length at
// Y: ..." gives Y (exact); a reason without a position gives X (lower bound). nullopt when no
// record was read at all (the redo point's segment is missing, another timeline).
std::optional<WalEnd> WalEndFromWaldump(std::string_view output);

}  // namespace hasteward::engine::postgres
