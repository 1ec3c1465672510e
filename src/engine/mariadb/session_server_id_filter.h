// engine/mariadb/session_server_id_filter: drops mariadb-binlog's session server id statements
// from its decoded output before a Galera node applies it. A node with wsrep_gtid_mode refuses
// `SET @@session.server_id` (any value): it stamps every write set with the cluster's GTID domain,
// server id and next sequence number itself.
#pragma once

#include <string>
#include <string_view>

namespace hasteward::engine::mariadb {

class SessionServerIdFilter {
 public:
  // How the node numbers the transactions it is given.
  enum class Numbering {
    // Each keeps its own sequence number (SET @@session.gtid_seq_no), as mariadb-binlog wrote.
    kAsDecoded,
    // The sequence number is given as wsrep_gtid_seq_no instead: the node's wsrep GTID counter
    // moves to it, which it does not for a preset gtid_seq_no (nor for the transactions the
    // parallel applier committed before; see engine/mariadb/last_transaction_split.h).
    kByTheNode,
  };
  explicit SessionServerIdFilter(Numbering numbering = Numbering::kAsDecoded)
      : numbering_(numbering) {}
  // The whole lines of what earlier calls kept followed by `chunk`, without the session server id
  // statements; a cut last line is kept for the next call (memory: the longest line).
  std::string Feed(std::string_view chunk);
  // What is left after the last chunk (a last line without a newline).
  std::string Finish();

 private:
  Numbering numbering_;
  std::string pending_;
};

}  // namespace hasteward::engine::mariadb
