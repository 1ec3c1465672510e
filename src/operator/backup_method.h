// operator/backup_method: which backup a cluster's scheduled backups take, as a policy, a cluster
// entry or an annotation names it (`backupMethod: dump|native`); passed to the backup command as
// its --method.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace hasteward::op {

enum class BackupMethod {
  kUnset,   // a cluster: the policy's; a policy: the backup command's own default (its env
            // HASTEWARD_BACKUP_METHOD, else dump)
  kDump,    // logical dump
  kNative,  // the engine's physical backup, incremental after the first (README "Native backups")
};

// "" -> kUnset, "dump", "native"; kUsage naming `where` and the choices otherwise.
core::Result<BackupMethod> ParseBackupMethod(std::string_view text, const std::string& where);

// "dump", "native"; "" for kUnset.
const char* BackupMethodName(BackupMethod method);

// `over` unless it is unset, then `base`: a cluster's choice over its policy's.
BackupMethod BackupMethodOver(BackupMethod base, BackupMethod over);

}  // namespace hasteward::op
