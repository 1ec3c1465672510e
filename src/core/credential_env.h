// core/credential_env: the environment variables through which HASteward, its user or the tools it
// drives pass credentials. A long-lived child (a database server it starts) must not inherit them:
// /proc/<pid>/environ keeps them readable for the server's whole life, and a PGPASSWORD there even
// overrides a standby's replication password file.
#pragma once

#include <string>
#include <vector>

namespace hasteward::core {

inline const std::vector<std::string>& CredentialEnvironmentVariables() {
  static const std::vector<std::string> kNames = {"PGPASSWORD",
                                                  "PGPASSFILE",
                                                  "MYSQL_PWD",
                                                  "RESTIC_PASSWORD",
                                                  "RESTIC_PASSWORD_FILE",
                                                  "RESTIC_PASSWORD_COMMAND",
                                                  "AWS_ACCESS_KEY_ID",
                                                  "AWS_SECRET_ACCESS_KEY",
                                                  "AWS_SESSION_TOKEN"};
  return kNames;
}

}  // namespace hasteward::core
