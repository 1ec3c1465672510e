#include <ctime>

#include "core/log.h"
#include "jobs/jobs.h"

namespace hasteward::jobs {

std::string JobStamp(int64_t unix_seconds) {
  auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::vector<std::string> SnapshotTags(const platform::Cluster& cluster, repo::SnapshotType type,
                                      const std::string& job) {
  std::vector<std::string> tags = {
      std::string("engine=") + platform::EngineKindName(cluster.engine), "cluster=" + cluster.name,
      "namespace=" + cluster.ns, repo::TypeTag(type)};
  if (!job.empty())
    tags.push_back("job=" + job);
  return tags;
}

namespace {

repo::BackupOptions DumpBackupOptions(const platform::Cluster& cluster, engine::Engine& engine,
                                      const ClusterBackupOptions& options) {
  std::string file = engine.DumpFileName();
  if (options.ordinal_prefix >= 0)
    file = std::to_string(options.ordinal_prefix) + "-" + file;
  repo::BackupOptions bo;
  bo.filename = cluster.ns + "/" + cluster.name + "/" + file;
  bo.tags = SnapshotTags(cluster, options.type, options.job);
  bo.time = options.job_start;
  bo.hostname = cluster.ns + "-" + cluster.name;
  bo.compression = options.compression;
  bo.progress = options.progress;
  bo.lock_wait = options.lock_wait;
  return bo;
}

}  // namespace

core::Result<ClusterBackupResult> StorePlannedDump(const engine::ClusterHandle& target,
                                                   repo::Repository& repo, const PlannedDump& dump,
                                                   const ClusterBackupOptions& options) {
  const std::string& what = dump.what;
  repo::BackupOptions bo = DumpBackupOptions(target.cluster(), target.engine(), options);
  // The lock first, then the dump: a dump held back while we wait for the repository would keep
  // its database snapshot (and, on PostgreSQL, every old row version) open all that time.
  auto writer = repo::SnapshotWriter::Open(repo, repo::StreamWriterOptions(bo));
  if (!writer.ok())
    return writer.TakeStatus().Wrap(what);
  HS_ASSIGN_OR_RETURN(auto source,
                      target.engine().OpenDump(target.platform(), target.cluster(), dump.plan));
  auto summary = repo::CommitStream(**writer, *source, bo);
  if (!summary.ok()) {
    return summary.TakeStatus().Wrap(what);
  }
  return ClusterBackupResult{*summary, dump.plan, "/" + bo.filename};
}

core::Result<ClusterBackupResult> BackupCluster(const engine::ClusterHandle& target,
                                                repo::Repository& repo,
                                                const ClusterBackupOptions& options) {
  HS_ASSIGN_OR_RETURN(engine::BackupPlan plan,
                      target.engine().PlanBackup(target.platform(), target.cluster()));
  core::LogInfo("backup source: " + plan.reason,
                {{"cluster", target.QualifiedName()}, {"instance", plan.source.name}});
  std::string what = "backup of '" + target.QualifiedName() + "' from '" + plan.source.name + "'";
  return StorePlannedDump(target, repo, {.plan = std::move(plan), .what = std::move(what)},
                          options);
}

}  // namespace hasteward::jobs
