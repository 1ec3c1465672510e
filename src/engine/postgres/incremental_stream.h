// engine/postgres/incremental_stream: a base backup taken by reading the data directory on this
// machine inside a non-exclusive backup (PostgreSQL 15's low-level API: pg_backup_start in a
// session kept open, pg_backup_stop at the end), so that a relation file's pages the WAL since
// the parent snapshot's start never touched can be taken from the parent instead of read. The
// members are those BASE_BACKUP sends (data_dir_listing.h), global/pg_control read last, then
// backup_label and tablespace_map as pg_backup_stop returns them, the WAL from start to stop in
// pg_wal/, and a backup_manifest (manifest_writer.h). A connection closed before the end aborts
// the backup on the server (nothing to clean up).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/fd.h"
#include "engine/native_backup.h"
#include "engine/postgres/manifest_writer.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/wal_interval.h"

namespace hasteward::engine::postgres {

struct IncrementalStreamStart {
  std::string data_dir;
  size_t block_size = 0;
  std::unique_ptr<PgConnection> session;  // pg_backup_start ran in it
  uint64_t start_lsn = 0;
  uint32_t timeline = 0;
  std::map<std::string, std::string> facts;  // system_identifier, pg_version, read, reason, ...
  // The pages that may differ from the parent's; null: every page is read.
  std::unique_ptr<WalBlockReferenceReader> changes;
  // Where the WAL from start to stop is read after pg_backup_stop: the local pg_wal first.
  std::vector<RangedWalSource*> wal_sources;
  std::unique_ptr<LocalWalSource> local_wal;    // owned here, one of wal_sources
  std::unique_ptr<WholeSegmentSource> archive;  // owned here, one of wal_sources (or null)
  uint64_t wal_bytes_read = 0;  // the interval's, then the tree's WAL too (fact wal_bytes_read)
};

class PgIncrementalStream : public NativeBackupStream {
 public:
  // Lists the data directory (the listing's errors).
  static core::Result<std::unique_ptr<PgIncrementalStream>> Open(IncrementalStreamStart start);

  core::Result<std::optional<NativeMember>> Next() override;
  core::Result<size_t> ReadContent(std::span<uint8_t> buf) override;
  core::Status SkipContent(uint64_t n) override;
  std::map<std::string, std::string> metadata() const override { return start_.facts; }
  uint64_t bytes_read() const override { return bytes_read_; }

 private:
  explicit PgIncrementalStream(IncrementalStreamStart start) : start_(std::move(start)) {}
  // Ends the previous member: a file goes into the manifest (with its CRC-32C if read whole).
  void CloseMember();
  core::Result<std::optional<NativeMember>> FileMember(core::TarEntry entry);
  NativeMember MemoryMember(const std::string& path, std::string content, bool listed);
  // pg_backup_stop and the members that follow the data files.
  core::Status Stop();
  core::Status Failed(const std::string& cause) const;
  // A segment of the tree's WAL: read up to the stop's page, zeros after it.
  // kDumpFailed when the server's timeline at the stop is not the start's.
  core::Status CheckStoppedOnStartTimeline();
  core::Result<std::string> ReadTreeSegment(const std::string& name, uint64_t segment);

  IncrementalStreamStart start_;
  std::vector<core::TarEntry> listing_;
  size_t next_ = 0;
  enum class Phase { kData, kControl, kTail, kDone } phase_ = Phase::kData;
  // The files after the stop, path and content (a WAL segment's is read when it is next).
  std::vector<std::pair<std::string, std::string>> tail_;
  size_t tail_next_ = 0;
  std::vector<std::string> wal_names_;
  core::TarEntry owner_;  // the data directory's owner and mode, for the made-up members

  // The current member's content.
  core::UniqueFd fd_;
  std::string memory_;
  bool from_memory_ = false;
  bool listed_ = false;  // goes into the manifest
  std::string path_;
  uint64_t size_ = 0;
  uint64_t offset_ = 0;
  int64_t mtime_ = 0;
  uint32_t crc_ = 0;
  bool skipped_ = false;
  bool open_ = false;

  ManifestWriter manifest_;
  uint64_t bytes_read_ = 0;   // of the data files
  uint64_t member_read_ = 0;  // of the current file
  uint64_t stop_lsn_ = 0;
  uint64_t wal_segment_next_ = 0;  // the tree's next WAL segment number
};

}  // namespace hasteward::engine::postgres
