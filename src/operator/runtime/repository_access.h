// operator/runtime/repository_access: opening a managed repository inside the operator process
// (retention after backups, the BackupRepository status check) with its password and storage
// environment from wherever its spec says: a password file (config file), or the Secrets a
// BackupRepository names, held in memory (RepositorySecrets).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "operator/config.h"
#include "repo/repository.h"

namespace hasteward::op {

// The repository's password: RepositorySecrets::password, else the password file's content
// without trailing newlines. kUsage when neither is there or the file cannot be read.
core::Result<std::string> RepositoryPassword(const RepositorySpec& repository);

// Opens the repository (RepositorySecrets::env reaches the storage driver, never the process
// environment). Errors: kWrongPassword, kUnreachable and the storage layer's others.
core::Result<std::unique_ptr<repo::Repository>> OpenManagedRepository(
    const RepositorySpec& repository);

}  // namespace hasteward::op
