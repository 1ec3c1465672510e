// pitr: point-in-time recovery. pitr/archive.h is the front door: pitr::MakeArchive gives the
// archive an engine keeps as one interface (status and windows, restore to a point, retention,
// what feeds it); the kinds live in sub-folders — pitr/wal/ (PostgreSQL: the server pushes WAL
// segments and timeline history files with `wal-push`, a restored server fetches them with
// `wal-fetch`) and pitr/binlog/ (MariaDB/Galera: an archiver pulls the writer's binlogs as pieces
// of whole transactions). Both store what they archive in the repository as snapshots of
// repo::SnapshotType::kWal (tag type=wal; `latest`, `get backups` and retention select backups
// only). This header holds what the WAL kind's server commands share with their callers.
// Depends on jobs and below; never on dr, operator or cli.
#pragma once

#include <string>

#include "engine/archiving.h"
#include "platform/platform.h"

namespace hasteward::pitr {

// What a server's archive_command / restore_command run: this binary with the cluster's identity,
// the repository and a password file (never the password itself: postgresql.conf is readable by
// the server's OS user and copied into every base backup).
struct WalCommandContext {
  std::string binary;         // absolute path of hasteward
  std::string repository;     // location, without credentials
  std::string password_file;  // readable by the server's OS user
  // An AWS credentials INI file readable by the server's OS user ("" = none): the server's
  // commands never inherit credential variables, so an s3: repository needs one.
  std::string s3_credentials_file;
  platform::Cluster cluster;  // engine, namespace, name
  // The archive agent's socket wal-push and wal-fetch try first ("" = none: each call works alone).
  std::string agent_socket;
};

// `'<binary>' -q wal-push -e E -c C -n NS -r '<repo>' --password-file '<file>'
// [--s3-credentials-file '<file>'] "%p"` and the matching wal-fetch "%f" "%p". kUsage when the
// password file is missing, an s3: repository has no credentials file, or the repository location
// carries credentials (they would be written into the server's configuration).
core::Result<engine::ArchiveCommands> BuildArchiveCommands(const WalCommandContext& context);

// POSIX shell single-quoting.
std::string ShellQuote(const std::string& text);

}  // namespace hasteward::pitr
