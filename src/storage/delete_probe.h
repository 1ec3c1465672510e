// storage: the delete probe. A command that must delete files (prune, `repo key passwd`) asks the
// storage first whether these credentials may delete at all, so that append-only credentials
// (docs/append-only.md) stop it before it changed anything instead of half-way through.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "storage/backend.h"

namespace hasteward::storage {

// The name the probe deletes in each directory: no file has it (restic's names are SHA-256 hashes
// of the file's content, and no content hashes to all zeros), so the probe never removes data.
inline constexpr char kDeleteProbeName[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Deletes kDeleteProbeName in the directory of each of `types`; writes nothing, so it leaves
// nothing behind. Ok when every delete is allowed. A refused one is DeleteRefused wrapped with
// "<command> must delete ... nothing was changed"; any other failure is returned as it is.
core::Status ProbeDeleteRights(Backend& backend, const std::vector<FileType>& types,
                               const std::string& command);

}  // namespace hasteward::storage
