#include "engine/mariadb/replication_source.h"

#include <charconv>

#include "platform/peer_address.h"

namespace hasteward::engine::mariadb {

bool ReplicatesFrom(const SqlRows& replication, size_t row, const platform::Instance& source) {
  const std::string port_text = replication.GetOr(row, "Master_Port");
  int port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size()) {
    return false;
  }
  return platform::NamesInstance(source, replication.GetOr(row, "Master_Host"), port);
}

std::string SourceAddress(const SqlRows& replication, size_t row) {
  return replication.GetOr(row, "Master_Host") + ":" + replication.GetOr(row, "Master_Port");
}

}  // namespace hasteward::engine::mariadb
