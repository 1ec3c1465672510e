// The members of `mariadb-backup --backup --stream=mbstream`, turned into a data directory: each
// file of the stream with the directories above it (the stream names files only), owned by the
// server's OS user, and the facts mariadb-backup writes into the backup: mariadb_backup_binlog_info
// (binlog file, position, GTID), mariadb_backup_slave_info (a replica's GTID), and
// mariadb_backup_galera_info (the Galera cluster UUID and seqno).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "engine/client_tools.h"
#include "engine/mariadb/mbstream_reader.h"
#include "engine/native_backup.h"

namespace hasteward::engine::mariadb {

inline constexpr size_t kInnodbPageSize = 16384;

// Something held for exactly as long as a backup runs (Galera: the source node desynced).
// Released when the backup ends, fails or its stream is destroyed.
class BackupHold {
 public:
  virtual ~BackupHold() = default;
};

// Facts from the small files of a backup. Pure functions, unit-tested.
// "mariadb-bin.000002\t1234\t0-1-42" -> binlog_file, binlog_pos, gtid_position.
std::map<std::string, std::string> ParseBinlogInfo(const std::string& text);
// "SET GLOBAL gtid_slave_pos = '0-1-42';..." -> gtid_slave_pos.
std::map<std::string, std::string> ParseSlaveInfo(const std::string& text);
// "<uuid>:<seqno>[ <gtid>]" -> wsrep_uuid, wsrep_seqno.
std::map<std::string, std::string> ParseGaleraInfo(const std::string& text);
// "server_version = 10.11.19-MariaDB-..." (mariadb_backup_info) -> mariadb_version ("10.11").
std::map<std::string, std::string> ParseBackupInfo(const std::string& text);

// Whether a data-directory path holds InnoDB pages (tablespaces: *.ibd, ibdata*, undo*): stored
// in fixed blocks. The redo log and everything else is content-defined.
bool IsInnodbPagePath(const std::string& path);

// Who owns the restored files (the server's OS user) and their time.
struct MemberOwner {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string user;
  std::string group;
  int64_t mtime = 0;
};

class MariadbNativeStream : public NativeBackupStream {
 public:
  MariadbNativeStream(std::unique_ptr<BackupHold> hold, std::unique_ptr<ToolDumpStream> tool,
                      size_t block_size, MemberOwner owner)
      : hold_(std::move(hold)),
        tool_(std::move(tool)),
        reader_(*tool_),
        block_size_(block_size),
        owner_(std::move(owner)) {}

  core::Result<std::optional<NativeMember>> Next() override;
  core::Result<size_t> ReadContent(std::span<uint8_t> buf) override;
  std::map<std::string, std::string> metadata() const override { return metadata_; }
  uint64_t bytes_read() const override { return reader_.bytes_read(); }

 private:
  core::Status Complete();
  core::TarEntry EntryFor(const std::string& path, core::TarEntryType type) const;
  void QueueFile(const std::string& path);

  // Declared first: destroyed last, after the tool was killed.
  std::unique_ptr<BackupHold> hold_;
  std::unique_ptr<ToolDumpStream> tool_;
  MbstreamReader reader_;
  size_t block_size_;
  MemberOwner owner_;
  std::deque<NativeMember> queue_;            // directories of the next file, then the file
  std::set<std::string> dirs_;                // directories already sent
  std::string kept_;                          // the name of the small file being read, "" for none
  std::map<std::string, std::string> files_;  // the kept small files by name
  std::map<std::string, std::string> metadata_;
  bool done_ = false;
};

}  // namespace hasteward::engine::mariadb
