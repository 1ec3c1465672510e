// engine/mariadb/last_transaction_split: a Galera replay's input cut before its last transaction.
// On a Galera node the parallel applier's transactions keep their GTIDs but leave the node's wsrep
// GTID counter behind, so the cluster's next writes would reuse their sequence numbers. The
// applier therefore applies everything but the last transaction, and the last goes through a
// client session numbered by the node (wsrep_gtid_seq_no), which moves the counter to the end.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/mariadb/binlog_events.h"

namespace hasteward::engine::mariadb {

struct LastTransactionSplit {
  std::vector<std::string> before_paths;  // replay files holding every transaction but the last
  size_t before_transactions = 0;         // how many transactions they hold
  std::string last_path;                  // the last file's header, then its last transaction
  BinlogGtid last_gtid;                   // that transaction's GTID
};

// Splits the replay files `paths` (each a header, then whole transactions) and writes the new
// files into `dir` (mode 0600); files without a transaction are left out. kNotFound when no file
// holds a transaction, kCorruption when an event does not fit in its file.
core::Result<LastTransactionSplit> SplitOffLastTransaction(const std::vector<std::string>& paths,
                                                           const std::string& dir);

// The GTID state `state_after` ("0-1-5,1-2-42") as it was before `last`: its domain one sequence
// number back. Galera numbers its domain without gaps, so that is the transaction before it.
std::string StateBeforeLast(const std::string& state_after, const BinlogGtid& last);

}  // namespace hasteward::engine::mariadb
