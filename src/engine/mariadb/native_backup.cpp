#include "engine/mariadb/native_backup.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/os_user.h"
#include "core/temp_dir.h"
#include "engine/client_tools.h"
#include "engine/mariadb/mariadb_connection.h"

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
    const platform::Cluster& /*cluster*/, const BackupPlan& /*plan*/) {
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
  // mariadb-backup runs here and reads the data files by path: where the instance's files are
  // not on this machine (a pod), that path would name another server's files or none, and the
  // snapshot would hold the wrong data. Refuse instead of storing it.
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, source));
  if (!handle->capabilities().Has(platform::Capability::kLocalFilesystem)) {
    return core::Usage("the data files of '" + source.name +
                           "' are not on this machine, and "
                           "mariadb-backup reads them by path",
                       "take a logical backup (without --method native) on this platform; a "
                       "native MariaDB backup needs HASteward beside the server");
  }
  HS_ASSIGN_OR_RETURN(MemberOwner owner, OwnerOf(source));
  HS_ASSIGN_OR_RETURN(std::string password, cluster.credentials.password.Resolve());
  HS_ASSIGN_OR_RETURN(auto scratch_dir, core::TempDir::Create("hasteward-mariadb-backup-"));
  HS_ASSIGN_OR_RETURN(auto held, HoldSource(cluster, plan));
  auto hold = std::make_unique<ScratchHold>(std::move(scratch_dir), std::move(held));
  // One option file, first on the command line (mariadb-backup takes no second one): the
  // server's own file included (the InnoDB layout: page size, log and undo directories), then the
  // credentials for [client] and mariadb-backup's own group. In memory, never on disk.
  std::string credentials = MyCnfContent(MariadbUser(cluster), password);
  credentials += "[mariadb-backup]" + credentials.substr(credentials.find('\n'));
  if (!source.config_file.empty()) {
    credentials = "!include " + source.config_file + "\n" + credentials;
  }
  ToolSecrets secrets;
  HS_ASSIGN_OR_RETURN(std::string cnf, secrets.Add("backup.cnf", credentials));
  core::SubprocessOptions options;
  options.env_unset = {"MYSQL_PWD", "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT"};
  options.argv = {ToolPath(source, "mariadb-backup"), "--defaults-file=" + cnf};
  for (std::string flag :
       std::vector<std::string>{"--backup", "--stream=mbstream", "--target-dir=" + hold->path(),
                                "--tmpdir=" + hold->path(), "--datadir=" + source.data_dir,
                                "--user=" + MariadbUser(cluster)}) {
    options.argv.push_back(std::move(flag));
  }
  if (source.port > 0) {
    options.argv.push_back("--host=" + (source.host.empty() ? "127.0.0.1" : source.host));
    options.argv.push_back("--port=" + std::to_string(source.port));
    options.argv.emplace_back("--protocol=tcp");
  } else {
    options.argv.push_back("--socket=" + source.socket);
  }
  for (auto& flag : SourceFlags(plan)) {
    options.argv.push_back(std::move(flag));
  }
  core::LogInfo("starting native backup",
                {{"instance", source.name}, {"command", core::JoinArgv(options.argv)}});
  // No end marker: the mbstream reader proves every file whole and the stream its checkpoints.
  HS_ASSIGN_OR_RETURN(auto tool, ToolDumpStream::Start(std::move(options), std::move(secrets), ""));
  return std::unique_ptr<NativeBackupStream>(std::make_unique<MariadbNativeStream>(
      std::move(hold), std::move(tool), block_size, std::move(owner)));
}

}  // namespace hasteward::engine::mariadb
