#pragma once

#include <string_view>

#include "core/status.h"
#include "repo/crypto/key_file.h"

namespace hasteward::repo {

// The scrypt cost of keys that `repo init` creates, as "N,r,p" (HASTEWARD_KDF_PARAMS). Meant for
// test suites and slow machines: every command that opens the repository pays this cost once, and
// restic's default (32768,8,4) takes about half a CPU-second. Readers (restic included) always use
// the values stored in the key file, so any accepted value stays readable.
// N must be a power of two from 1024 to 2^20, r from 1 to 32 and p from 1 to 16: below those the
// key is trivially cheap to brute-force, above them one open needs gigabytes or minutes.
core::Result<KdfParams> ParseKdfParams(std::string_view text);

// The parameters for new keys (`repo init`, `repo key add|passwd`): HASTEWARD_KDF_PARAMS parsed
// when set, else restic's defaults.
core::Result<KdfParams> KdfParamsFromEnvironment();

}  // namespace hasteward::repo
