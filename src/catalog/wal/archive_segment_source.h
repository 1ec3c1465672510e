// catalog/wal/archive_segment_source: the WAL archive as an engine::WalSegmentSource, for an
// incremental native backup (which reads the WAL since its parent to find the changed pages, and
// the WAL its own tree needs): a segment is read from the repository as wal-fetch reads it.
#pragma once

#include <memory>

#include "engine/archiving.h"
#include "engine/native_backup.h"
#include "platform/platform.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// The archive of `cluster` in `repo` (both outlive the source). nullptr when the engine has no
// WAL archiving.
std::unique_ptr<engine::WalSegmentSource> ArchiveSegmentSource(repo::Repository& repo,
                                                               const platform::Cluster& cluster,
                                                               engine::Archiving* archiving);

}  // namespace hasteward::catalog
