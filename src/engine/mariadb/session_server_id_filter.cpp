#include "engine/mariadb/session_server_id_filter.h"

#include <utility>

namespace hasteward::engine::mariadb {

namespace {

// How mariadb-binlog sets the session's server id for the transactions that follow (one line).
constexpr std::string_view kSessionServerIdLine = "/*M!100001 SET @@session.server_id=";
// How it sets a transaction's sequence number, and what it becomes when the node numbers it.
constexpr std::string_view kSessionSequenceLine = "/*M!100001 SET @@session.gtid_seq_no=";
constexpr std::string_view kWsrepSequenceLine = "/*M!100001 SET @@session.wsrep_gtid_seq_no=";

}  // namespace

std::string SessionServerIdFilter::Feed(std::string_view chunk) {
  pending_.append(chunk);
  std::string out;
  size_t start = 0;
  for (size_t end = pending_.find('\n'); end != std::string::npos;
       end = pending_.find('\n', start)) {
    std::string_view line(pending_.data() + start, end + 1 - start);
    if (numbering_ == Numbering::kByTheNode && line.starts_with(kSessionSequenceLine)) {
      out.append(kWsrepSequenceLine);
      out.append(line.substr(kSessionSequenceLine.size()));
    } else if (!line.starts_with(kSessionServerIdLine)) {
      out.append(line);
    }
    start = end + 1;
  }
  pending_.erase(0, start);
  return out;
}

std::string SessionServerIdFilter::Finish() {
  return std::exchange(pending_, std::string());
}

}  // namespace hasteward::engine::mariadb
