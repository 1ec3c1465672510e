#include "engine/postgres/base_backup_client.h"

#include <algorithm>
#include <cstring>

#include <libpq-fe.h>
#include <poll.h>

#include "core/failpoint.h"
#include "core/stop_signal.h"

namespace hasteward::engine::postgres {

namespace {

// How often a wait for the server looks at the stop signal: a backup waiting for its checkpoint
// or for a stalled server still stops within this on SIGINT/SIGTERM.
constexpr int kPollMillis = 200;

// libpq's messages span lines ("...unexpectedly\n\tThis probably means..."): one line, for logs.
std::string Trim(const std::string& text) {
  std::string line;
  for (char c : text) {
    bool space = c == '\n' || c == '\t' || c == ' ';
    if (!space) {
      line.push_back(c);
    } else if (!line.empty() && line.back() != ' ') {
      line.push_back(' ');
    }
  }
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
  return line;
}

// The server's message of a failed result, else the connection's.
std::string ResultError(PGconn* conn, PGresult* result) {
  std::string message = result != nullptr ? Trim(PQresultErrorMessage(result)) : "";
  return message.empty() ? Trim(PQerrorMessage(conn)) : message;
}

}  // namespace

BaseBackupClient::BaseBackupClient(std::unique_ptr<PgConnection> connection)
    : connection_(std::move(connection)), message_(nullptr, PQfreemem) {}

core::Result<std::unique_ptr<BaseBackupClient>> BaseBackupClient::Connect(PgConnectParams params) {
  params.replication = true;
  HS_ASSIGN_OR_RETURN(auto connection, PgConnection::Connect(params));
  return std::unique_ptr<BaseBackupClient>(new BaseBackupClient(std::move(connection)));
}

int BaseBackupClient::server_version() const {
  return PQserverVersion(connection_->native_handle());
}

core::Status BaseBackupClient::Failed(const std::string& what) const {
  return core::Status(core::ErrorCode::kDumpFailed,
                      "base backup from postgresql " + connection_->display_name() + ": " + what,
                      "the backup was not saved; check the database server's log and retry");
}

core::Status BaseBackupClient::WaitForInput() {
  PGconn* conn = connection_->native_handle();
  for (;;) {
    HS_TRY(core::StopStatus());
    pollfd ready{PQsocket(conn), POLLIN, 0};
    int polled = ::poll(&ready, 1, kPollMillis);
    if (polled < 0 && errno != EINTR) {
      return Failed(std::string("poll: ") + std::strerror(errno));
    }
    if (polled > 0) {
      if (PQconsumeInput(conn) == 0) {
        return Failed("the connection broke: " + Trim(PQerrorMessage(conn)));
      }
      return core::Status::Ok();
    }
  }
}

core::Status BaseBackupClient::Start(const std::string& label) {
  PGconn* conn = connection_->native_handle();
  // The label is ours (no quote in it); WAL true puts the segments the backup needs into the
  // archive, WAIT false does not wait for them to be archived elsewhere (as -X fetch), MANIFEST
  // gives pg_verifybackup its input, CHECKPOINT 'fast' starts at once.
  std::string command = "BASE_BACKUP (LABEL '" + label +
                        "', CHECKPOINT 'fast', WAL true, WAIT false, MANIFEST 'yes', "
                        "TABLESPACE_MAP, TARGET 'client')";
  if (PQsendQuery(conn, command.c_str()) == 0) {
    return Failed("could not send BASE_BACKUP: " + Trim(PQerrorMessage(conn)));
  }
  // Two result sets come before the COPY: the start position, then the tablespaces.
  for (int result_number = 0;; ++result_number) {
    while (PQisBusy(conn) != 0) {
      HS_TRY(WaitForInput());
    }
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) {
      return Failed("the server ended BASE_BACKUP before sending the archive");
    }
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COPY_OUT) {
      PQclear(result);
      return core::Status::Ok();
    }
    if (status != PGRES_TUPLES_OK) {
      std::string message = ResultError(conn, result);
      PQclear(result);
      return Failed(message);
    }
    // The second result lists the tablespaces: only the data directory's fits one tree (as
    // pg_basebackup refuses to write more than one archive to stdout).
    bool extra_tablespaces = result_number == 1 && PQntuples(result) > 1;
    int tablespaces = PQntuples(result);
    PQclear(result);
    if (extra_tablespaces) {
      return core::Usage("the cluster at " + connection_->display_name() + " has " +
                             std::to_string(tablespaces - 1) +
                             " tablespace(s) besides the data directory",
                         "native backups store one data directory; back up logically "
                         "(--method dump) or move the tablespaces into the data directory");
    }
  }
}

core::Status BaseBackupClient::Receive() {
  PGconn* conn = connection_->native_handle();
  message_.reset();
  message_size_ = message_offset_ = 0;
  for (;;) {
    char* raw = nullptr;
    int length = PQgetCopyData(conn, &raw, 1);
    if (length == 0) {
      HS_TRY(WaitForInput());
      continue;
    }
    if (length == -1) {
      return Finish();
    }
    if (length < 0) {
      return Failed("the stream broke: " + Trim(PQerrorMessage(conn)));
    }
    message_.reset(raw);
    auto size = static_cast<size_t>(length);
    // Each message starts with its type: 'n' a new archive (its name, its tablespace), 'd' data
    // of the archive or, after 'm', of the manifest, 'p' progress.
    switch (raw[0]) {
      case 'n':
        if (++archives_ > 1) {
          return Failed("the server sent a second archive (a tablespace)");
        }
        return core::Status::Ok();
      case 'm': phase_ = Phase::kManifest; return core::Status::Ok();
      case 'p': return core::Status::Ok();
      case 'd':
        if (phase_ == Phase::kManifest) {
          manifest_.append(raw + 1, size - 1);
        } else if (archives_ == 0) {
          return Failed("the server sent data before naming its archive");
        } else {
          message_size_ = size;
          message_offset_ = 1;
          // Tests stall here to kill the server's side of a backup in mid-stream.
          core::Failpoint("base-backup-streaming");
        }
        return core::Status::Ok();
      default:
        return Failed("unexpected message of type " + std::to_string(static_cast<int>(raw[0])) +
                      " in the COPY stream");
    }
  }
}

core::Status BaseBackupClient::Finish() {
  PGconn* conn = connection_->native_handle();
  if (phase_ != Phase::kManifest) {
    return Failed("the stream ended without the backup manifest");
  }
  // After the COPY: the end position, then the command's completion. An error here is a failed
  // backup (a checksum failure on a page comes as SQLSTATE XX001 at this point).
  for (;;) {
    while (PQisBusy(conn) != 0) {
      HS_TRY(WaitForInput());
    }
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) {
      break;
    }
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_TUPLES_OK && PQntuples(result) == 1 && PQnfields(result) >= 1) {
      stop_lsn_ = PQgetvalue(result, 0, 0);
    } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string message = ResultError(conn, result);
      PQclear(result);
      return Failed(message);
    }
    PQclear(result);
  }
  if (stop_lsn_.empty()) {
    return Failed("the server did not report the backup's end position");
  }
  phase_ = Phase::kDone;
  return core::Status::Ok();
}

core::Result<size_t> BaseBackupClient::Read(std::span<uint8_t> buf) {
  while (phase_ != Phase::kDone) {
    if (message_offset_ < message_size_) {
      size_t n = std::min(buf.size(), message_size_ - message_offset_);
      std::memcpy(buf.data(), message_.get() + message_offset_, n);
      message_offset_ += n;
      return n;
    }
    HS_TRY(Receive());
  }
  return size_t{0};
}

std::optional<std::string> BaseBackupClient::TakeManifest() {
  if (phase_ != Phase::kDone || manifest_taken_) {
    return std::nullopt;
  }
  manifest_taken_ = true;
  return std::move(manifest_);
}

}  // namespace hasteward::engine::postgres
