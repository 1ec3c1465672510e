// Runs stock restic (0.14, Debian) for the storage interop tests. Header-only: the storage test
// binary is one glob of *_test.cpp files.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/subprocess.h"

namespace hasteward::storage::testing {

// restic -r <repo> <args...> with RESTIC_PASSWORD and a private cache; `input` goes to stdin.
// Returns stdout, or an error with restic's stderr tail.
inline core::Result<std::string> RunRestic(const std::string& repo, std::vector<std::string> args,
                                           const std::map<std::string, std::string>& env,
                                           const std::optional<std::string>& input = std::nullopt) {
  core::SubprocessOptions o;
  o.argv = {"restic", "--no-cache", "-q", "-r", repo};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env_set = env;
  o.env_set["RESTIC_PASSWORD"] = "conformance-password";
  if (input)
    o.stdin_mode = core::StdioMode::kPipe;
  return core::RunChecked(o, input);
}

}  // namespace hasteward::storage::testing
