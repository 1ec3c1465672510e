// Files a database server's OS user reads: archive_command and restore_command run as that user
// (postgres, mysql), never as the test's, so the repository password or S3 credentials they read
// are that user's, mode 0600.
#pragma once

#include <string>

#include "core/status.h"

namespace hasteward::testing {

// Writes `content` to `path`, owned by `os_user`, mode 0600. Returns `path`.
core::Result<std::string> WriteServerUserFile(const std::string& path, const std::string& content,
                                              const std::string& os_user);

// The repository password file of `os_user`: `password` and a newline.
inline core::Result<std::string> WriteServerPasswordFile(const std::string& path,
                                                         const std::string& password,
                                                         const std::string& os_user) {
  return WriteServerUserFile(path, password + "\n", os_user);
}

}  // namespace hasteward::testing
