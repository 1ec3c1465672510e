#include "engine/mariadb/native_backup.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/os_user.h"
#include "core/temp_dir.h"
#include "engine/client_tools.h"
#include "engine/mariadb/backup_in_instance.h"
#include "engine/mariadb/mariadb_connection.h"
#include "platform/peer_address.h"

namespace hasteward::engine::mariadb {

namespace {

// Four InnoDB pages, as PostgreSQL's default is eight of its pages: docs/native-backups.md
// measures the second backup's stored bytes by block size.
constexpr size_t kDefaultBlock = 4 * kInnodbPageSize;
// zstd 1, as for dumps: level 3 is not measured on InnoDB pages yet, and the MariaDB backup is
// bound by CPU on two cores (docs/performance.md), where a slower level costs wall time.
constexpr int kDefaultLevel = 1;

// The scratch directory mariadb-backup needs beside its stream (--target-dir, --tmpdir: it spools
// the redo log there), held as long as the backup runs.
class ScratchHold : public BackupHold {
 public:
  ScratchHold(core::TempDir dir, std::unique_ptr<BackupHold> inner)
      : inner_(std::move(inner)), dir_(std::move(dir)) {}
  const std::string& path() const { return dir_.path(); }

 private:
  std::unique_ptr<BackupHold> inner_;
  core::TempDir dir_;
};

core::Result<MemberOwner> OwnerOf(const platform::Instance& source) {
  MemberOwner owner;
  core::OsUser user = core::CurrentOsUser();
  if (!source.os_user.empty()) {
    HS_ASSIGN_OR_RETURN(user, core::LookupOsUser(source.os_user));
  }
  owner.uid = user.uid;
  owner.gid = user.gid;
  owner.user = user.name;
  owner.mtime = core::SystemClock::Get().NowUnixSeconds();
  return owner;
}

// mariadb-backup's flags after its option file and scratch directories: the copy, and how it
// reaches the server. Run inside the instance (a pod) it dials the server's peer address, not
// the port-forward this process may reach it by.
std::vector<std::string> ConnectionFlags(const platform::Cluster& cluster,
                                         const platform::Instance& source, bool in_instance) {
  std::vector<std::string> flags = {"--datadir=" + source.data_dir,
                                    "--user=" + MariadbUser(cluster)};
  const std::string& host = in_instance ? platform::PeerHost(source) : source.host;
  if (source.port > 0) {
    flags.push_back("--host=" + (host.empty() ? "127.0.0.1" : host));
    flags.push_back("--port=" +
                    std::to_string(in_instance ? platform::PeerPort(source) : source.port));
    flags.emplace_back("--protocol=tcp");
  } else {
    flags.push_back("--socket=" + source.socket);
  }
  flags.insert(flags.begin(), {"--backup", "--stream=mbstream"});
  return flags;
}

// mariadb-backup run on this machine beside the data files, `scratch` its --target-dir and
// --tmpdir (it spools the redo log there).
core::Result<std::unique_ptr<ToolDumpStream>> StartLocalBackup(
    const platform::Instance& source, std::string credentials,
    const std::vector<std::string>& flags, const std::string& scratch) {
  // The server's own option file included first (the InnoDB layout: page size, log and undo
  // directories).
  if (!source.config_file.empty()) {
    credentials = "!include " + source.config_file + "\n" + credentials;
  }
  ToolSecrets secrets;
  HS_ASSIGN_OR_RETURN(std::string cnf, secrets.Add("backup.cnf", credentials));
  core::SubprocessOptions options;
  options.env_unset = {"MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT"};
  options.argv = {ToolPath(source, "mariadb-backup"), "--defaults-file=" + cnf};
  // --backup --stream=mbstream, the scratch directories, then the rest.
  options.argv.insert(options.argv.end(), flags.begin(), flags.begin() + 2);
  options.argv.push_back("--target-dir=" + scratch);
  options.argv.push_back("--tmpdir=" + scratch);
  options.argv.insert(options.argv.end(), flags.begin() + 2, flags.end());
  core::LogInfo("starting native backup",
                {{"instance", source.name}, {"command", core::JoinArgv(options.argv)}});
  // No end marker: the mbstream reader proves every file whole and the stream its checkpoints.
  return ToolDumpStream::Start(std::move(options), std::move(secrets), "");
}

}  // namespace

size_t MariadbNativeBackup::PageSize() const {
  return kInnodbPageSize;
}
size_t MariadbNativeBackup::DefaultBlockSize() const {
  return kDefaultBlock;
}
int MariadbNativeBackup::DefaultCompressionLevel() const {
  return kDefaultLevel;
}

core::Result<BackupPlan> MariadbNativeBackup::PlanNativeBackup(platform::Platform& platform,
                                                               const platform::Cluster& cluster) {
  HS_ASSIGN_OR_RETURN(BackupPlan plan, planner_.PlanBackup(platform, cluster));
  plan.virtual_filename = "data";
  if (plan.role == InstanceRole::kPrimary) {
    core::LogWarn("no healthy replica: the native backup copies the primary '" + plan.source.name +
                  "' (it pays the copy's I/O)");
  }
  return plan;
}

std::vector<std::string> MariadbNativeBackup::SourceFlags(const BackupPlan& plan) const {
  // A replica's own GTID position (gtid_slave_pos) as well as its binlog's: either can start a
  // point-in-time recovery or a new replica.
  if (plan.role == InstanceRole::kReplica) {
    return {"--slave-info"};
  }
  return {};
}

core::Result<std::unique_ptr<BackupHold>> MariadbNativeBackup::HoldSource(
    const platform::InstanceHandle& /*source*/) {
  return std::unique_ptr<BackupHold>();
}

core::Result<std::unique_ptr<NativeBackupStream>> MariadbNativeBackup::OpenNativeBackup(
    platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
    size_t block_size) {
  if (block_size < kInnodbPageSize || block_size % kInnodbPageSize != 0) {
    return core::Usage(
        "block size " + std::to_string(block_size) + " is not a multiple of InnoDB's 16 KiB page",
        "use a multiple of 16384 (default " + std::to_string(kDefaultBlock) + ")");
  }
  const platform::Instance& source = plan.source;
  if (source.data_dir.empty()) {
    return core::Usage("instance '" + source.name + "' has no data directory in the inventory",
                       "mariadb-backup copies the data files: set dataDir for the instance");
  }
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, source));
  HS_ASSIGN_OR_RETURN(std::string password, cluster.credentials.password.Resolve());
  // One option file, first on the command line (mariadb-backup takes no second one): the
  // credentials for [client] and mariadb-backup's own group. In memory, never on disk.
  std::string credentials = MyCnfContent(MariadbUser(cluster), password);
  credentials += "[mariadb-backup]" + credentials.substr(credentials.find('\n'));
  // mariadb-backup reads the data files by path, so it runs where they are: here when the
  // instance's paths are this machine's, else in the instance through Exec (a pod), its stream
  // coming back on the command's stdout. Either way the same reader parses it.
  const bool in_instance = !handle->capabilities().Has(platform::Capability::kLocalFilesystem);
  std::vector<std::string> flags = ConnectionFlags(cluster, source, in_instance);
  for (auto& flag : SourceFlags(plan)) {
    flags.push_back(std::move(flag));
  }
  if (in_instance) {
    HS_ASSIGN_OR_RETURN(MemberOwner owner, OwnerInInstance(*handle));
    HS_ASSIGN_OR_RETURN(auto held, HoldSource(*handle));
    HS_ASSIGN_OR_RETURN(auto tool, StartBackupInInstance(*handle, credentials, flags));
    return std::unique_ptr<NativeBackupStream>(std::make_unique<MariadbNativeStream>(
        std::move(held), std::move(tool), block_size, std::move(owner)));
  }
  HS_ASSIGN_OR_RETURN(MemberOwner owner, OwnerOf(source));
  // Owned (named by this process): a backup killed with kill -9 leaves its scratch directory, which
  // the next backup on this machine removes instead of letting them pile up in /tmp.
  HS_ASSIGN_OR_RETURN(auto scratch_dir, core::TempDir::CreateOwned("hasteward-mariadb-backup-"));
  HS_ASSIGN_OR_RETURN(auto held, HoldSource(*handle));
  auto hold = std::make_unique<ScratchHold>(std::move(scratch_dir), std::move(held));
  HS_ASSIGN_OR_RETURN(auto tool, StartLocalBackup(source, credentials, flags, hold->path()));
  return std::unique_ptr<NativeBackupStream>(std::make_unique<MariadbNativeStream>(
      std::move(hold), std::move(tool), block_size, std::move(owner)));
}

}  // namespace hasteward::engine::mariadb
