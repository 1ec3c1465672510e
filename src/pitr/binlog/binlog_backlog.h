// pitr/binlog/binlog_backlog: how far a MariaDB writer's binlogs are ahead of the archive, measured
// against the catalog an archiver already holds, without opening the repository. While the
// repository is unreachable no archiving cycle completes, yet the backlog still grows and must
// show (serve exports it as the archive lag in files and bytes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/binlog/binlog_catalog.h"
#include "core/status.h"
#include "engine/binlog_archiving.h"
#include "platform/platform.h"

namespace hasteward::pitr {

struct BinlogBacklog {
  std::string writer;         // the instance measured
  size_t files_behind = 0;    // its files not archived to their current end
  uint64_t bytes_behind = 0;  // and their bytes beyond the archive
};

// The backlog of `writer`'s `files` (oldest first) against `catalog`. Files are matched by
// instance and name (the newest archived file of that name): a metric, not a restore decision.
// The files before the newest one the catalog knows are behind only by what that file lacks;
// without any known file every file counts (a writer the archive never followed).
BinlogBacklog BacklogOf(const std::string& writer, const std::vector<engine::BinlogFileInfo>& files,
                        const catalog::BinlogCatalog& catalog);

// Finds the writer (preferring the catalog's last instance) and measures its backlog. Errors as
// engine::BinlogArchiving::FindWriter and ListFiles.
core::Result<BinlogBacklog> MeasureBinlogBacklog(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 engine::BinlogArchiving& binlogs,
                                                 const catalog::BinlogCatalog& catalog);

}  // namespace hasteward::pitr
