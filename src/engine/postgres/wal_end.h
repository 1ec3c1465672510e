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

// Where the last transaction record (commit, abort, prepare) in `pg_waldump --rmgr=Transaction`
// output ends: past it the WAL holds no committed data (checkpoints, the shutdown record, running
// transactions). nullopt when the output holds no such record.
std::optional<uint64_t> LastTransactionEndFromWaldump(std::string_view output);

// Where the last transaction record ends at the latest when none follows the checkpoint's redo
// point: at `redo`, or at its page's start when only the page header precedes redo on that page (a
// shutdown checkpoint at the start of a new segment has no commit after the segment before).
uint64_t TransactionEndAtOrBefore(uint64_t redo);

}  // namespace hasteward::engine::postgres
