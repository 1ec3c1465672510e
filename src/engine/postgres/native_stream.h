// The members of a base backup's tar archive, from the replication protocol (BaseBackupClient,
// the manifest sent after the archive) or from pg_basebackup's stdout (-F tar -D - -X fetch, the
// manifest appended as a member), with the facts PostgreSQL writes into it: backup_label (start
// LSN, timeline), backup_manifest (WAL range), global/pg_control (system identifier) and
// PG_VERSION (major version).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/tar_reader.h"
#include "engine/client_tools.h"
#include "engine/native_backup.h"
#include "engine/postgres/base_backup_client.h"

namespace hasteward::engine::postgres {

inline constexpr size_t kPgPageSize = 8192;

// Facts read from the small files of a base backup. Pure functions, unit-tested.
// "START WAL LOCATION: 0/2000028 (file ...)" and "START TIMELINE: 1" -> start_lsn, timeline.
std::map<std::string, std::string> ParseBackupLabel(const std::string& label);
// The last WAL range of the manifest ('"End-LSN": "0/2000100"') -> stop_lsn (and timeline when the
// label gave none). `manifest_tail` is the manifest's end (the WAL-Ranges section is last).
std::map<std::string, std::string> ParseManifestWalRange(const std::string& manifest_tail);
// The system identifier: the first 8 bytes of pg_control, little-endian. kCorruption when short.
core::Result<std::string> SystemIdentifierFromControl(const std::string& pg_control);

// The timeline_history fact ("1:0/3000060,2:0/5000000", triage_timeline.h) of a backup on
// `timeline` from the text of its history file; "" on timeline 1 (no ancestors).
std::string TimelineHistoryFact(uint32_t timeline, const std::string& history_text);

// Whether a data-directory path holds page-structured relation files (base/, global/ except
// pg_control, pg_filenode.map and the like are still page-sized or tiny: one block either way).
bool IsRelationPath(const std::string& path);

// pg_basebackup's stdout as a BaseBackupArchive (for servers older than the one-stream protocol):
// the manifest is a member of its archive.
class ToolBaseBackupArchive : public BaseBackupArchive {
 public:
  explicit ToolBaseBackupArchive(std::unique_ptr<ToolDumpStream> tool) : tool_(std::move(tool)) {}
  core::Result<size_t> Read(std::span<uint8_t> buf) override { return tool_->Read(buf); }
  std::optional<std::string> TakeManifest() override { return std::nullopt; }

 private:
  std::unique_ptr<ToolDumpStream> tool_;
};

class PgNativeStream : public NativeBackupStream {
 public:
  // `known_facts`: facts asked of the server before the backup started (data_checksums), merged
  // into metadata() with those read from the archive.
  PgNativeStream(std::unique_ptr<BaseBackupArchive> archive, size_t block_size,
                 std::map<std::string, std::string> known_facts = {})
      : archive_(std::move(archive)),
        reader_(*archive_),
        block_size_(block_size),
        metadata_(std::move(known_facts)) {}

  core::Result<std::optional<NativeMember>> Next() override;
  core::Result<size_t> ReadContent(std::span<uint8_t> buf) override;
  std::map<std::string, std::string> metadata() const override { return metadata_; }
  uint64_t bytes_read() const override { return reader_.bytes_read() + manifest_offset_; }

 private:
  enum class Kept { kNone, kLabel, kManifest, kControl, kVersion, kHistory };
  core::Status Complete();
  core::Status Incomplete(const std::string& cause) const;
  void OwnServerFiles(core::TarEntry& entry);
  // The manifest the protocol sent beside the archive, as the member pg_basebackup would have
  // appended (owned like the server's files).
  NativeMember ManifestMember();

  std::unique_ptr<BaseBackupArchive> archive_;
  core::TarReader reader_;
  size_t block_size_;
  Kept kept_ = Kept::kNone;
  std::map<Kept, std::string> files_;  // the kept small files (the manifest: its tail)
  // pg_wal/<timeline>.history members by timeline: the backup's own gives its ancestry.
  std::map<uint32_t, std::string> histories_;
  uint32_t history_timeline_ = 0;  // the history member being read (Kept::kHistory)
  std::map<std::string, std::string> metadata_;
  std::optional<core::TarEntry> owner_;  // the first server-sent member: the data directory's owner
  std::optional<std::string> manifest_;  // served by ReadContent after the archive's members
  size_t manifest_offset_ = 0;
  bool done_ = false;
};

}  // namespace hasteward::engine::postgres
