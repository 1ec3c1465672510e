#include "engine/postgres/native_backup.h"

#include "core/log.h"
#include "engine/client_tools.h"
#include "engine/postgres/base_backup_client.h"
#include "engine/postgres/native_source.h"
#include "engine/postgres/native_stream.h"
#include "engine/postgres/pg_connection.h"

namespace hasteward::engine::postgres {

namespace {

// Measured in docs/native-backups.md (pgbench, each block one zstd frame): a scattered 1 % row
// update touches nearly every 64 KiB block anyway, so dedup cannot tell the sizes apart, while
// independent frames and per-blob overhead cost 20-30 % more stored bytes at 64 KiB than at
// 512 KiB. 512 KiB (64 pages) stores about what a whole-file zstd stream does; beyond it the gain
// is under 1 % and a single changed page re-stores more.
constexpr size_t kDefaultBlock = 64 * kPgPageSize;
// B-tree leaves after row updates compress 30 % smaller at zstd 3 than at 1 (heap pages compress
// alike at both, for the same CPU), so the index part of a second backup decides.
constexpr int kDefaultLevel = 3;
// How long a native backup waits for the chosen standby to replay the primary's position before
// it copies the primary instead: a streaming standby within 64 MiB catches up in about a second.
constexpr auto kStandbyCatchUp = std::chrono::seconds(30);

// The replication user when the inventory names one (pg_hba's "replication" lines are for it),
// else the admin user.
const platform::Credentials& ReplicationCredentials(const platform::Cluster& cluster) {
  return cluster.replication.user.empty() ? cluster.credentials : cluster.replication;
}

constexpr char kLabel[] = "hasteward native backup";

// Servers before 15 send one COPY per tablespace and the manifest apart: pg_basebackup speaks
// that protocol and writes one tar with the manifest appended.
core::Result<std::unique_ptr<NativeBackupStream>> OpenWithPgBaseBackup(
    const platform::Instance& source, const std::string& user, const std::string& password,
    size_t block_size) {
  core::SubprocessOptions options;
  ToolSecrets secrets;
  options.env_unset = {"PGPASSWORD", "PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGDATABASE"};
  options.env_set["PGCONNECT_TIMEOUT"] = "5";
  options.env_set["PGPASSFILE"] = "/dev/null";
  if (!password.empty()) {
    HS_ASSIGN_OR_RETURN(options.env_set["PGPASSFILE"],
                        secrets.Add("pgpass", PgPassLine(user, password)));
  }
  std::string host = source.host.empty() ? source.socket : source.host;
  options.argv = {ToolPath(source, "pg_basebackup"),
                  "-h",
                  host,
                  "-p",
                  std::to_string(source.port > 0 ? source.port : 5432),
                  "-U",
                  user,
                  "-w",
                  "-D",
                  "-",
                  "-F",
                  "tar",
                  "-X",
                  "fetch",
                  "-c",
                  "fast",
                  "-l",
                  kLabel};
  core::LogInfo("starting base backup",
                {{"instance", source.name}, {"command", core::JoinArgv(options.argv)}});
  // No end marker: the tar reader proves the archive whole and the stream its manifest.
  HS_ASSIGN_OR_RETURN(auto tool, ToolDumpStream::Start(std::move(options), std::move(secrets), ""));
  return std::unique_ptr<NativeBackupStream>(std::make_unique<PgNativeStream>(
      std::make_unique<ToolBaseBackupArchive>(std::move(tool)), block_size));
}

}  // namespace

size_t PgNativeBackup::PageSize() const {
  return kPgPageSize;
}
size_t PgNativeBackup::DefaultBlockSize() const {
  return kDefaultBlock;
}
int PgNativeBackup::DefaultCompressionLevel() const {
  return kDefaultLevel;
}

core::Result<BackupPlan> PgNativeBackup::PlanNativeBackup(platform::Platform& platform,
                                                          const platform::Cluster& cluster) {
  HS_ASSIGN_OR_RETURN(BackupPlan plan, planner_.PlanBackup(platform, cluster));
  plan.virtual_filename = "data";
  // A failed look at the standbys costs the primary some I/O, not the backup.
  InstanceHandles handles(platform, cluster);
  if (auto preferred = PreferStandbySource(handles, plan, kStandbyCatchUp); !preferred.ok()) {
    core::LogWarn("the native backup copies the primary: " + preferred.message());
  }
  return plan;
}

core::Result<std::unique_ptr<NativeBackupStream>> PgNativeBackup::OpenNativeBackup(
    platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
    size_t block_size) {
  if (block_size < kPgPageSize || block_size % kPgPageSize != 0) {
    return core::Usage("block size " + std::to_string(block_size) +
                           " is not a multiple of PostgreSQL's 8 KiB page",
                       "use a multiple of 8192 (default " + std::to_string(kDefaultBlock) + ")");
  }
  const platform::Credentials& creds = ReplicationCredentials(cluster);
  HS_ASSIGN_OR_RETURN(std::string password, creds.password.Resolve());
  const platform::Instance& source = plan.source;
  HS_ASSIGN_OR_RETURN(auto source_handle, platform.OpenInstance(cluster, source));
  HS_ASSIGN_OR_RETURN(PgConnectParams params, InstanceConnectParams(*source_handle));
  params.user = creds.user.empty() ? PgUser(cluster) : creds.user;
  params.password = password;
  params.connect_timeout_seconds = 5;
  HS_ASSIGN_OR_RETURN(auto client, BaseBackupClient::Connect(params));
  if (client->server_version() >= BaseBackupClient::kMinServerVersion) {
    core::LogInfo("starting base backup over the replication protocol",
                  {{"instance", source.name}, {"user", params.user}});
    HS_TRY(client->Start(kLabel));
    return std::unique_ptr<NativeBackupStream>(
        std::make_unique<PgNativeStream>(std::move(client), block_size));
  }
  client.reset();
  return OpenWithPgBaseBackup(source, params.user, password, block_size);
}

}  // namespace hasteward::engine::postgres
