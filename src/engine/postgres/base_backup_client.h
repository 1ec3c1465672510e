// A base backup taken over PostgreSQL's replication protocol by HASteward itself (BASE_BACKUP,
// PostgreSQL 15 and later), instead of reading pg_basebackup's stdout: one process and one copy
// of every byte fewer, and no pipe between two processes that wake each other for every 32 KiB
// message (measured: pg_basebackup used a quarter of a native backup's CPU). The server sends one
// COPY stream: the data directory's tar archive, then the backup manifest; the WAL the backup
// needs is inside the archive (WAL true: what `pg_basebackup -X fetch` asks for).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"
#include "engine/postgres/pg_connection.h"

namespace hasteward::engine::postgres {

// The archive of a base backup as a byte stream, and the manifest when the protocol sends it
// beside the archive rather than inside it.
class BaseBackupArchive : public core::ByteSource {
 public:
  // After Read returned 0: the manifest when it was not a member of the archive (pg_basebackup
  // appends it to its tar output; the protocol sends it after the archive).
  virtual std::optional<std::string> TakeManifest() = 0;
};

class BaseBackupClient : public BaseBackupArchive {
 public:
  // The first version whose BASE_BACKUP sends archives and manifest as one COPY stream.
  static constexpr int kMinServerVersion = 150000;

  // A replication connection (the params' dbname is ignored). kAuthFailed / kUnreachable as
  // PgConnection::Connect.
  static core::Result<std::unique_ptr<BaseBackupClient>> Connect(PgConnectParams params);

  // PQserverVersion: 150004 for 15.4.
  int server_version() const;
  // Sends BASE_BACKUP and waits (polling the stop signal) for the start position; the archive
  // follows through Read. kDumpFailed with the server's message when it refuses, kUsage when the
  // cluster has tablespaces besides the data directory (one tree per snapshot).
  core::Status Start(const std::string& label);
  // The archive's bytes; 0 once the server sent the manifest and ended the backup with its end
  // position. kDumpFailed when the server fails the backup or the connection breaks;
  // kInterrupted/kTerminated on a stop signal.
  core::Result<size_t> Read(std::span<uint8_t> buf) override;
  std::optional<std::string> TakeManifest() override;
  // The end position the server reported ("0/3000100"); empty before the end.
  const std::string& stop_lsn() const { return stop_lsn_; }

 private:
  enum class Phase { kArchive, kManifest, kDone };
  using CopyBuffer = std::unique_ptr<char, void (*)(void*)>;

  explicit BaseBackupClient(std::unique_ptr<PgConnection> connection);
  core::Status Failed(const std::string& what) const;
  // Blocks until libpq has a whole result or CopyData message, polling the stop signal.
  core::Status WaitForInput();
  // The next CopyData message into message_; handles the protocol's own messages.
  core::Status Receive();
  // After the COPY: the end position and the command's completion, or the server's error.
  core::Status Finish();

  std::unique_ptr<PgConnection> connection_;
  Phase phase_ = Phase::kArchive;
  int archives_ = 0;
  CopyBuffer message_;
  size_t message_size_ = 0;
  size_t message_offset_ = 0;
  std::string manifest_;
  bool manifest_taken_ = false;
  std::string stop_lsn_;
};

}  // namespace hasteward::engine::postgres
