#pragma once

#include <string>

#include "core/status.h"
#include "repo/crypto/crypto.h"

namespace hasteward::repo {

// scrypt parameters of a key file (restic-format.md §2). Readers always use the stored values.
struct KdfParams {
  uint64_t n = 32768;
  uint32_t r = 8;
  uint32_t p = 4;
};

struct KeyFileInfo {
  std::string hostname;
  std::string username;
  std::string created;  // RFC3339Nano
};

// Derives the user key from `password` and unwraps the master key. A MAC failure (the password
// does not open this key) is kWrongPassword; malformed JSON or parameters are kCorruption.
core::Result<MasterKey> OpenKeyFile(const std::string& key_json, const std::string& password);

// Wraps `master` under `password` with a fresh 64-byte salt; returns the key file JSON exactly as
// restic writes it (compact, no trailing newline).
core::Result<std::string> MakeKeyFile(const MasterKey& master, const std::string& password,
                                      const KdfParams& params, const KeyFileInfo& info);

// The plaintext master-key JSON ({"mac":{"k":..,"r":..},"encrypt":..}).
std::string MasterKeyJson(const MasterKey& key);
core::Result<MasterKey> ParseMasterKeyJson(const std::string& json);

}  // namespace hasteward::repo
