// catalog/wal/archived_file_reader: writes an archived file's bytes to a sink. A file the archive
// index describes is read from the pack positions its push recorded, without loading the
// repository's pack index (which grows with everything the repository holds); each blob is checked
// against its ID, and one a repack moved (its pack gone, or other bytes there) is read through the
// pack index instead.
#pragma once

#include "catalog/wal/wal_catalog.h"
#include "core/byte_stream.h"
#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// Writes the file's content to `sink` (not closed). Errors: kCorruption when a blob is in no pack
// or its bytes do not match its ID; storage errors; the sink's errors.
core::Status DumpArchived(repo::Repository& repo, const ArchivedFile& archived,
                          core::ByteSink& sink);

}  // namespace hasteward::catalog
