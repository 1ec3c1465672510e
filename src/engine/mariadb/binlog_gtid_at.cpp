#include "engine/mariadb/binlog_gtid_at.h"

#include <algorithm>

#include "engine/mariadb/binlog_source.h"
#include "engine/mariadb/mariadb_connection.h"

namespace hasteward::engine::mariadb {

namespace {

// Bytes read at once: the memory a backup spends on this stays bounded whatever the file's size.
constexpr uint64_t kChunkBytes = 16ULL << 20;
constexpr uint64_t kMaxChunkBytes = 1ULL << 30;  // the largest transaction MariaDB writes

core::Result<BinlogWriter> BinlogOf(const platform::InstanceHandle& handle) {
  const platform::Instance& instance = handle.instance();
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(handle));
  HS_ASSIGN_OR_RETURN(auto basename, conn->QueryValue("SELECT IFNULL(@@log_bin_basename, '')"));
  const std::string path = basename.value_or("");
  auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return core::Usage("'" + instance.name + "' writes no binlog (log_bin is off)",
                       "point-in-time recovery needs log_bin on every instance");
  }
  BinlogWriter writer;
  writer.instance = instance;
  writer.binlog_dir = path.substr(0, slash);
  return writer;
}

}  // namespace

core::Result<std::string> GtidStateAtBinlogPosition(platform::Platform& platform,
                                                    const platform::Cluster& cluster,
                                                    const platform::Instance& instance,
                                                    const std::string& file, uint64_t offset) {
  MariadbBinlogSource binlogs(/*galera=*/false);
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, instance));
  HS_ASSIGN_OR_RETURN(BinlogWriter writer, BinlogOf(*handle));
  HS_ASSIGN_OR_RETURN(std::string head, binlogs.ReadFile(platform, cluster, writer, file, 0,
                                                         std::min(offset, kChunkBytes)));
  HS_ASSIGN_OR_RETURN(auto header, binlogs.ReadHeader(head));
  if (!header.has_value() || header->header_end > offset) {
    return core::Status(core::ErrorCode::kCorruption,
                        "binlog position " + file + ":" + std::to_string(offset) + " on '" +
                            instance.name + "' is inside the file's header",
                        "take the backup again");
  }
  std::string state = header->gtid_list;
  uint64_t scanned = header->header_end;
  uint64_t chunk = kChunkBytes;
  while (scanned < offset) {
    const uint64_t wanted = std::min(offset - scanned, chunk);
    HS_ASSIGN_OR_RETURN(std::string bytes,
                        binlogs.ReadFile(platform, cluster, writer, file, scanned, wanted));
    HS_ASSIGN_OR_RETURN(BinlogRun run, binlogs.ScanRun(bytes, scanned, *header));
    if (run.complete_end <= scanned && bytes.size() == wanted && wanted == chunk &&
        chunk < kMaxChunkBytes) {
      chunk *= 2;  // one transaction is bigger than the chunk
      continue;
    }
    if (run.complete_end <= scanned) {
      return core::Status(core::ErrorCode::kCorruption,
                          "binlog " + file + " on '" + instance.name +
                              "' holds no whole transaction after offset " +
                              std::to_string(scanned) + " before " + std::to_string(offset),
                          "the position is not at a transaction boundary; take the backup again");
    }
    state = binlogs.AdvanceGtidState(state, run.gtids);
    scanned = run.complete_end;
  }
  return state;
}

}  // namespace hasteward::engine::mariadb
