// Which instance a replica replicates from, read from its SHOW SLAVE STATUS row: the source's
// host and port, matched against an instance's peer address (platform::NamesInstance), never the
// port alone: servers on separate hosts or pods all listen on 3306.
#pragma once

#include <string>

#include "engine/sql_rows.h"
#include "platform/cluster.h"

namespace hasteward::engine::mariadb {

// Whether the replication row `row` of `replication` names `source` as its source.
bool ReplicatesFrom(const SqlRows& replication, size_t row, const platform::Instance& source);

// "host:port" of the row's source, for messages.
std::string SourceAddress(const SqlRows& replication, size_t row);

}  // namespace hasteward::engine::mariadb
