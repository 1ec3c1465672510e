#pragma once

#include <memory>
#include <string_view>

#include "engine/native_backup.h"

namespace hasteward::engine::postgres {

// The RestoredTreeCheck of a PostgreSQL base backup: every file its backup_manifest lists
// (PostgreSQL 13+, JSON: Files[] with Path or hex Encoded-Path, Size, Checksum-Algorithm,
// Checksum) is checked for its size and CRC-32C as the restore writes it, the same comparison
// pg_verifybackup makes on the written tree. Files the manifest does not list (pg_wal's segments)
// are not checked here; pg_verifybackup --skip-checksums still refuses them where it would.
// nullptr (no check) when a file's checksum is another algorithm than CRC-32C (a backup taken with
// --manifest-checksums=SHA256 or NONE): then pg_verifybackup reads the tree back as before.
// kVerifyFailed when the manifest is not a version-1 PostgreSQL manifest.
core::Result<std::unique_ptr<RestoredTreeCheck>> MakeBackupManifestCheck(std::string_view manifest);

}  // namespace hasteward::engine::postgres
