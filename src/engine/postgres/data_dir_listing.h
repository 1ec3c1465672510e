// engine/postgres/data_dir_listing: the members of a base backup taken by reading the data
// directory itself (an incremental backup, engine/postgres/incremental_stream.h): every file,
// directory and symlink PostgreSQL 15's BASE_BACKUP would send, with the same exclusions
// (basebackup.c's excludeDirContents and excludeFiles, temporary files and relations, unlogged
// relations' non-init forks), so a tree taken either way restores alike.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tar_reader.h"

namespace hasteward::engine::postgres {

// What a base backup does with one directory entry, by its data-directory-relative path. Pure.
enum class BaseBackupEntry {
  kInclude,
  kSkip,
  kEmptyDirectory,  // the directory is sent, its contents are not (pg_wal, pg_replslot, ...)
};
BaseBackupEntry ClassifyBaseBackupEntry(const std::string& relative_path, bool is_directory);

// "standby.signal" or "recovery.signal" at the data directory's top: the source server's recovery
// mode, which no backup holds (BASE_BACKUP sends it, a backup of a standby taking the standby's).
// A copy started from a tree that held one would be a standby of the live cluster (its
// primary_conninfo, its restore_command reading the live archive) instead of the backed-up data;
// pg_verifybackup ignores both names, hasteward's restore writes its own. Pure.
bool IsRecoverySignalFile(const std::string& relative_path);

// "t3_16384", "t3_16384_fsm", "t3_16384.1": a temporary relation's file (never backed up).
bool LooksLikeTempRelation(const std::string& name);

// The entries of `data_dir` a base backup holds, parents before children, sorted by path within a
// directory, from lstat (path relative to data_dir, mode, owner ids, mtime, size, symlink target).
// global/pg_control is left out: the backup reads it last. kUsage for a tablespace (an entry in
// pg_tblspc): a tree holds one data directory. Storage errors naming the path.
core::Result<std::vector<core::TarEntry>> ListDataDirectory(const std::string& data_dir);

}  // namespace hasteward::engine::postgres
