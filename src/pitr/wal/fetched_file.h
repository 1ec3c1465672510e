// pitr/wal/fetched_file: an archived WAL file written into a descriptor a client handed over
// (the request's temp file beside %p, or a fill-ahead file), from offset 0 and truncated to its
// size, with the CRC-32C of the bytes written. Either from bytes read ahead into memory, or
// straight from the repository blob by blob: then no 16 MiB buffer is filled, copied and
// handed on (on the machine measured, fresh memory and that copy were a third of the agent's
// CPU per served segment: docs/performance.md).
#pragma once

#include <cstdint>

#include "catalog/wal/wal_catalog.h"
#include "core/byte_stream.h"
#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::pitr {

// What a file written whole holds.
struct WrittenFile {
  uint64_t size = 0;
  uint32_t crc32c = 0;  // of the bytes written
};

// Writes `content` at offset 0 of `fd` and truncates the file to its size (kStorage when the
// server's disk refuses).
core::Status WriteFetchedFile(int fd, const core::Bytes& content);

// Writes the archived file's content from the repository into `fd` the same way. Every blob is
// checked against its ID before it is written (repo::DumpFile); on any error the file holds a
// part at most, and the caller must not take it as complete. The index must be loaded.
core::Result<WrittenFile> DumpFetchedFile(repo::Repository& repo,
                                          const catalog::ArchivedFile& archived, int fd);

}  // namespace hasteward::pitr
