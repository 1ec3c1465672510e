// PostgreSQL 15 sandbox: a primary made with initdb and N-1 streaming standbys made with
// pg_basebackup -R. Servers run as OS user `postgres` when we are root.
#include <string>

#include <unistd.h>

#include "platform/local/instance_control.h"
#include "platform/sandbox/ports.h"
#include "platform/sandbox/sandbox_build.h"

namespace hasteward::platform::sandbox {

namespace {

constexpr char kPgBinDir[] = "/usr/lib/postgresql/15/bin";
constexpr char kSuperuser[] = "postgres";
constexpr char kReplicationUser[] = "replicator";

Instance MakePgInstance(const SandboxBuild& b, int ordinal, int port) {
  Instance i;
  std::string dir = b.InstanceDir(ordinal);
  i.name = b.InstanceName(ordinal);
  i.ordinal = ordinal;
  i.port = port;
  i.socket = SocketDirFor(dir + "/sock", ".s.PGSQL." + std::to_string(port));
  i.data_dir = dir + "/data";
  i.os_user = b.os_user;
  i.bin_dir = kPgBinDir;
  i.config_file = i.data_dir + "/postgresql.conf";
  i.log_file = dir + "/postgres.log";
  i.start_command = DefaultStartCommand(EngineKind::kPostgres, i);
  i.stop_command = DefaultStopCommand(EngineKind::kPostgres, i);
  i.labels["role"] = ordinal == 0 ? "primary" : "replica";
  return i;
}

// Settings appended to postgresql.conf; later lines win, so a standby's block overrides the
// primary's block it inherited through pg_basebackup. fsync=off: sandboxes trade durability for
// speed.
std::string PgSettings(const Instance& i) {
  return "\n# hasteward sandbox (" + i.name +
         ")\n"
         "listen_addresses = '127.0.0.1'\n"
         "port = " +
         std::to_string(i.port) +
         "\n"
         "unix_socket_directories = '" +
         i.socket +
         "'\n"
         "cluster_name = '" +
         i.name +
         "'\n"
         "wal_level = replica\n"
         "archive_mode = off\n"
         "max_wal_senders = 10\n"
         "wal_keep_size = '128MB'\n"
         "hot_standby = on\n"
         "hot_standby_feedback = on\n"
         "fsync = off\n"
         "synchronous_commit = off\n"
         "shared_buffers = '32MB'\n"
         "max_connections = 50\n"
         "logging_collector = off\n";
}

core::Status AppendSettings(const Instance& i) {
  auto current = core::ReadFileToString(i.config_file);
  if (!current.ok())
    return current.TakeStatus();
  return WriteFile(i.config_file, *current + PgSettings(i), 0600, i.os_user);
}

// psql over the instance's unix socket as the OS user (peer authentication); SQL on stdin.
core::Result<std::string> Psql(const Instance& i, const std::string& sql) {
  return RunAs(i.os_user,
               {std::string(kPgBinDir) + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", i.socket, "-p", std::to_string(i.port), "-U", kSuperuser, "-d", "postgres"},
               sql);
}

core::Status MakePostgresInstanceDirs(const SandboxBuild& b, const Instance& i) {
  HS_TRY(MakeOwnedDir(b.InstanceDir(i.ordinal), 0700, b.os_user));
  if (!SocketFallbackDirOf(i.socket).empty())
    return MakeSocketFallbackDir(i.socket, 0700, b.os_user);
  return MakeOwnedDir(i.socket, 0700, b.os_user);
}

core::Status InitPrimary(SandboxBuild& b, Instance& i, const std::string& superuser_password) {
  HS_TRY(MakePostgresInstanceDirs(b, i));
  std::string pwfile = b.InstanceDir(0) + "/initdb.pw";
  HS_TRY(WriteFile(pwfile, superuser_password + "\n", 0600, b.os_user));
  auto out =
      RunAs(b.os_user, {std::string(kPgBinDir) + "/initdb", "-D", i.data_dir, "-U", kSuperuser,
                        "--pwfile=" + pwfile, "--auth-local=peer", "--auth-host=scram-sha-256",
                        "--data-checksums", "--no-sync", "--encoding=UTF8", "--locale=C"});
  ::unlink(pwfile.c_str());
  if (!out.ok())
    return out.TakeStatus().Wrap("initdb of '" + i.name + "'");
  HS_TRY(AppendSettings(i));
  return StartLocalInstance(EngineKind::kPostgres, i);
}

core::Status MakeStandby(SandboxBuild& b, Instance& i, const Instance& primary,
                         const std::string& pgpass) {
  HS_TRY(MakePostgresInstanceDirs(b, i));
  auto out = RunAs(b.os_user,
                   {std::string(kPgBinDir) + "/pg_basebackup", "-h", primary.host, "-p",
                    std::to_string(primary.port), "-U", kReplicationUser, "-D", i.data_dir, "-R",
                    "-X", "stream", "-c", "fast", "--no-sync", "-w"},
                   std::nullopt, {{"PGPASSFILE", pgpass}});
  if (!out.ok())
    return out.TakeStatus().Wrap("pg_basebackup for '" + i.name + "'");
  HS_TRY(AppendSettings(i));
  return StartLocalInstance(EngineKind::kPostgres, i);
}

core::Result<bool> AllStreaming(const Instance& primary, int standbys) {
  HS_ASSIGN_OR_RETURN(std::string n, Psql(primary,
                                          "SELECT count(*) FROM pg_stat_replication "
                                          "WHERE state = 'streaming';"));
  return std::stoi(n) >= standbys;
}

}  // namespace

core::Status BuildPostgres(SandboxBuild& b) {
  Cluster& c = b.cluster;
  HS_ASSIGN_OR_RETURN(auto ports, FreeLoopbackPorts(b.spec.instances));
  HS_ASSIGN_OR_RETURN(std::string su_password, GeneratePassword());
  HS_ASSIGN_OR_RETURN(std::string repl_password, GeneratePassword());
  c.credentials = {kSuperuser, {b.cluster_dir + "/superuser.password", ""}};
  c.replication = {kReplicationUser, {b.cluster_dir + "/replication.password", ""}};
  HS_TRY(WriteFile(c.credentials.password.file, su_password + "\n", 0600));
  HS_TRY(WriteFile(c.replication.password.file, repl_password + "\n", 0600));
  for (int n = 0; n < b.spec.instances; ++n) {
    c.instances.push_back(MakePgInstance(b, n, ports[static_cast<size_t>(n)]));
  }
  Instance& primary = c.instances[0];
  HS_TRY(InitPrimary(b, primary, su_password));
  auto created = Psql(primary, std::string("CREATE ROLE ") + kReplicationUser +
                                   " WITH REPLICATION LOGIN PASSWORD '" + repl_password + "';");
  if (!created.ok()) {
    return core::Internal("create replication role on '" + primary.name + "' failed");
  }
  std::string pgpass = b.cluster_dir + "/replication.pgpass";
  HS_TRY(WriteFile(pgpass,
                   "127.0.0.1:" + std::to_string(primary.port) + ":*:" + kReplicationUser + ":" +
                       repl_password + "\n",
                   0600, b.os_user));
  for (size_t n = 1; n < c.instances.size(); ++n) {
    HS_TRY(MakeStandby(b, c.instances[n], primary, pgpass));
  }
  return PollFor("standbys of '" + c.name + "' to stream", std::chrono::seconds(60),
                 [&] { return AllStreaming(primary, b.spec.instances - 1); });
}

}  // namespace hasteward::platform::sandbox
