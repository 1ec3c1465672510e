// Shared by the MariaDB replication and Galera sandboxes: my.cnf, mariadb-install-db, the admin
// users and a client over the unix socket.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/sandbox/sandbox_build.h"

namespace hasteward::platform::sandbox {

inline constexpr char kMariadbAdminUser[] = "admin";
inline constexpr char kMariadbReplicationUser[] = "repl";

// An instance entry with its own dir, my.cnf, socket, pid file and error log under the sandbox.
Instance MakeMariadbInstance(const SandboxBuild& b, int ordinal, int port);

// Writes the instance's my.cnf: common settings, then `extra` lines under [mysqld], then a
// [client] section (socket, port) that the mariadb client and mariadb-admin read.
core::Status WriteMyCnf(const Instance& i, int server_id, const std::vector<std::string>& extra);

// Makes the instance dir and runs mariadb-install-db into <dir>/data (as the OS user).
core::Status InstallDataDir(const SandboxBuild& b, const Instance& i);

// Makes the instance dir of `i` and copies the data dir of `from` into it (both stopped).
core::Status CopyDataDir(const SandboxBuild& b, const Instance& from, const Instance& i);

// Runs SQL (on stdin) through the unix socket as this process's OS user with unix_socket
// authentication; returns tab-separated rows without headers.
core::Result<std::string> MariadbSql(const Instance& i, const std::string& sql);

// Generates the admin and replication passwords, writes them to 0600 files in the cluster dir and
// records them as the cluster's credentials.
struct MariadbSecrets {
  std::string admin;
  std::string replication;
};
core::Result<MariadbSecrets> MakeMariadbSecrets(SandboxBuild& b);

// SQL creating admin@127.0.0.1 and admin@localhost (all privileges) and repl@127.0.0.1.
std::string CreateUsersSql(const MariadbSecrets& s);

}  // namespace hasteward::platform::sandbox
