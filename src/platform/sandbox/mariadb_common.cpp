#include "platform/sandbox/mariadb_common.h"

#include <filesystem>

#include "core/log.h"
#include "core/os_user.h"
#include "platform/local/instance_control.h"

namespace hasteward::platform::sandbox {

Instance MakeMariadbInstance(const SandboxBuild& b, int ordinal, int port) {
  Instance i;
  std::string dir = b.InstanceDir(ordinal);
  i.name = b.InstanceName(ordinal);
  i.ordinal = ordinal;
  i.port = port;
  i.socket = SocketDirFor(dir, "mariadbd.sock") + "/mariadbd.sock";
  i.data_dir = dir + "/data";
  i.os_user = b.os_user;
  i.bin_dir = "/usr/sbin";
  i.config_file = dir + "/my.cnf";
  i.log_file = dir + "/error.log";
  i.start_command = DefaultStartCommand(b.spec.engine, i);
  // SIGTERM is MariaDB's clean shutdown; no credentials needed.
  i.stop_command = {"sh", "-c", "kill -TERM \"$(cat \"$1\")\"", "stop", dir + "/mariadbd.pid"};
  return i;
}

// Small buffers and relaxed flushing: sandboxes trade durability for start-up speed.
core::Status WriteMyCnf(const Instance& i, int server_id, const std::vector<std::string>& extra) {
  std::string dir = i.data_dir.substr(0, i.data_dir.rfind('/'));
  std::string cnf = "# hasteward sandbox instance " + i.name + "\n[mysqld]\n";
  for (const std::string& line : std::vector<std::string>{
           "datadir = " + i.data_dir, "port = " + std::to_string(i.port),
           std::string("bind-address = 127.0.0.1"), "socket = " + i.socket,
           "pid-file = " + dir + "/mariadbd.pid", "log-error = " + i.log_file,
           "tmpdir = " + dir + "/tmp", "server_id = " + std::to_string(server_id),
           std::string("skip-name-resolve"), std::string("performance_schema = OFF"),
           std::string("innodb_buffer_pool_size = 32M"), std::string("innodb_log_file_size = 16M"),
           std::string("innodb_flush_log_at_trx_commit = 2"), std::string("sync_binlog = 0"),
           std::string("innodb_doublewrite = 0"), std::string("max_connections = 100")}) {
    cnf += line + "\n";
  }
  for (const auto& line : extra)
    cnf += line + "\n";
  cnf += "\n[client]\nsocket = " + i.socket + "\nport = " + std::to_string(i.port) + "\n";
  return WriteFile(i.config_file, cnf, 0644, i.os_user);
}

namespace {

// The instance's own tmpdir: a starting mariadbd deletes every "#sql*" file it finds in its
// tmpdir (temporary tables left by a crash), so servers sharing /tmp delete each other's live
// temporary tables. Two sandboxes bootstrapping at once failed that way in CI ("Unknown table
// 'mysql.tmp_user_sys'", and once a SIGSEGV inside mariadbd --bootstrap).
std::string InstanceTmpDir(const SandboxBuild& b, const Instance& i) {
  return b.InstanceDir(i.ordinal) + "/tmp";
}

core::Status MakeMariadbInstanceDirs(const SandboxBuild& b, const Instance& i) {
  HS_TRY(MakeOwnedDir(b.InstanceDir(i.ordinal), 0750, b.os_user));
  if (std::string fallback = SocketFallbackDirOf(i.socket); !fallback.empty())
    HS_TRY(MakeSocketFallbackDir(fallback, 0755, b.os_user));
  return MakeOwnedDir(InstanceTmpDir(b, i), 0700, b.os_user);
}

}  // namespace

core::Status InstallDataDir(const SandboxBuild& b, const Instance& i) {
  HS_TRY(MakeMariadbInstanceDirs(b, i));
  std::vector<std::string> argv{"mariadb-install-db",
                                "--no-defaults",
                                "--datadir=" + i.data_dir,
                                "--tmpdir=" + InstanceTmpDir(b, i),
                                "--auth-root-authentication-method=socket",
                                "--skip-test-db",
                                "--skip-name-resolve",
                                "--innodb-log-file-size=16M",
                                "--innodb-buffer-pool-size=32M"};
  std::string user = b.os_user.empty() ? core::CurrentOsUser().name : b.os_user;
  argv.push_back("--user=" + user);
  auto out = RunAs(b.os_user, argv);
  // mariadbd --bootstrap crashed once (SIGSEGV, "Segmentation fault" from the script) in CI
  // with two sandboxes starting at once (before each had its own tmpdir, see InstanceTmpDir). A
  // crash is the server's, not a verdict on the request: one retry from an empty data
  // directory, logged. Any other failure (bad option, no space, permissions) is returned at once.
  if (!out.ok() && out.status().message().find("Segmentation fault") != std::string::npos) {
    core::LogWarn("mariadb-install-db crashed; retrying once from an empty data directory",
                  {{"instance", i.name}});
    std::error_code ec;
    std::filesystem::remove_all(i.data_dir, ec);
    out = RunAs(b.os_user, argv);
  }
  if (!out.ok())
    return out.TakeStatus().Wrap("mariadb-install-db for '" + i.name + "'");
  return core::Status::Ok();
}

core::Status CopyDataDir(const SandboxBuild& b, const Instance& from, const Instance& i) {
  HS_TRY(MakeMariadbInstanceDirs(b, i));
  auto out = RunAs(b.os_user, {"cp", "-a", from.data_dir, i.data_dir});
  if (!out.ok())
    return out.TakeStatus().Wrap("copy data dir for '" + i.name + "'");
  return core::Status::Ok();
}

core::Result<std::string> MariadbSql(const Instance& i, const std::string& sql) {
  return RunAs("",
               {"mariadb", "--defaults-file=" + i.config_file, "--protocol=socket", "-u",
                core::CurrentOsUser().name, "-N", "-B"},
               sql);
}

core::Result<MariadbSecrets> MakeMariadbSecrets(SandboxBuild& b) {
  MariadbSecrets s;
  HS_ASSIGN_OR_RETURN(s.admin, GeneratePassword());
  HS_ASSIGN_OR_RETURN(s.replication, GeneratePassword());
  b.cluster.credentials = {kMariadbAdminUser, {b.cluster_dir + "/admin.password", ""}};
  b.cluster.replication = {kMariadbReplicationUser, {b.cluster_dir + "/replication.password", ""}};
  HS_TRY(WriteFile(b.cluster.credentials.password.file, s.admin + "\n", 0600));
  HS_TRY(WriteFile(b.cluster.replication.password.file, s.replication + "\n", 0600));
  return s;
}

std::string CreateUsersSql(const MariadbSecrets& s) {
  std::string sql;
  for (const char* host : {"127.0.0.1", "localhost"}) {
    std::string user = std::string("'") + kMariadbAdminUser + "'@'" + host + "'";
    sql += "CREATE USER " + user + " IDENTIFIED BY '" + s.admin + "';\n";
    sql += "GRANT ALL PRIVILEGES ON *.* TO " + user + " WITH GRANT OPTION;\n";
  }
  std::string repl = std::string("'") + kMariadbReplicationUser + "'@'127.0.0.1'";
  sql += "CREATE USER " + repl + " IDENTIFIED BY '" + s.replication + "';\n";
  sql += "GRANT REPLICATION SLAVE, REPLICATION SLAVE ADMIN, REPLICATION CLIENT ON *.* TO " + repl +
         ";\n";
  return sql;
}

}  // namespace hasteward::platform::sandbox
