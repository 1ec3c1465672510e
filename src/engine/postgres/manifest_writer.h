// engine/postgres/manifest_writer: a backup_manifest in PostgreSQL's own format (version 1, as
// BASE_BACKUP writes it), for a base backup HASteward takes by reading the data directory: each
// file with its size, modification time and CRC-32C where every byte was read (a file partly
// taken from the parent snapshot was never read whole here and lists none: pg_verifybackup checks
// its size only), the WAL range, and the manifest's own SHA-256. pg_verifybackup accepts it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hasteward::engine::postgres {

class ManifestWriter {
 public:
  // `path` relative to the data directory; `mtime` in seconds since the epoch.
  void AddFile(const std::string& path, uint64_t size, int64_t mtime,
               std::optional<uint32_t> crc32c);
  // The finished manifest: the files, the WAL range [start_lsn, end_lsn] on `timeline`, the
  // checksum over everything before it.
  std::string Finish(uint32_t timeline, const std::string& start_lsn, const std::string& end_lsn);

 private:
  std::string files_;
  bool first_ = true;
};

}  // namespace hasteward::engine::postgres
