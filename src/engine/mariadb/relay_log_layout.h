// engine/mariadb/relay_log_layout: how a replay's binlog files are presented to the server's own
// replication applier as relay logs — their names in the data directory, the relay log index the
// server reads them from, the statements that point the SQL thread at them, and the server id
// under which the server applies all of them. Pure: the SQL and file names only, no server.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::engine::mariadb {

// The relay log settings as the server reports them.
struct RelayLogSettings {
  std::string datadir;             // @@datadir ("/var/lib/mysql/")
  std::string relay_log;           // @@relay_log, the option as given ("relay-bin", absolute, "")
  std::string relay_log_basename;  // @@relay_log_basename (absolute)
  std::string relay_log_index;     // @@relay_log_index (absolute, relative or "")
};

// Where the files go and what the server reads.
struct RelayLogLayout {
  std::vector<std::string> files;  // relative to the data directory, one per replay file
  std::string index_file;          // relative to the data directory
  std::string index_content;       // one line per file, as the server writes its index
  std::string first_name;          // the first file's name for CHANGE MASTER's RELAY_LOG_FILE
};

// The layout for `file_count` files numbered from 1. kUsage when the relay log or its index is
// outside the data directory (the platform writes only there): the caller then replays through
// the client.
core::Result<RelayLogLayout> PlanRelayLogLayout(const RelayLogSettings& settings,
                                                size_t file_count);

// The server id to apply under. The applier skips every event carrying the server's own id
// (replicate_same_server_id is off and cannot be changed while the server runs), and a restore
// usually replays a server's own binlog on it: `own` when no event carries it, else an id none
// carries.
uint32_t ReplayServerId(uint32_t own, const std::set<uint32_t>& event_server_ids);

// A relay log names the source's binlog file at its start, as the source's Rotate event the
// replica's I/O thread stores; the parallel applier reads the source's file name from it to order
// its position updates, and MariaDB 10.11 crashes on a relay log without one. This is that event
// (marked artificial, position 4 in `name`, from `server_id`), with a CRC-32 when `checksums`:
// insert it after the file's format description event (RelayLogFromBinlog).
std::string SourceRotateEvent(const std::string& name, uint32_t server_id, bool checksums);

// `binlog` (a replay file: magic, format description, ...) with SourceRotateEvent(`name`) after
// its format description event. kCorruption when the file does not start with one.
core::Result<std::string> RelayLogFromBinlog(std::string binlog, const std::string& name);

// CHANGE MASTER TO a host that is never contacted (only the SQL thread starts), the SQL thread at
// the start of the first file, positions by file (the relay logs are the whole input).
std::string ChangeMasterToRelayLogs(const RelayLogLayout& layout);

}  // namespace hasteward::engine::mariadb
