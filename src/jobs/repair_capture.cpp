#include "core/log.h"
#include "jobs/jobs.h"
#include "jobs/repair_job.h"

namespace hasteward::jobs {

core::Result<ClusterBackupResult> BackupInstance(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 engine::Engine& engine, repo::Repository& repo,
                                                 const CaptureSource& source,
                                                 const ClusterBackupOptions& options) {
  const platform::Instance& instance = source.instance;
  HS_ASSIGN_OR_RETURN(engine::BackupPlan plan,
                      engine.PlanBackupOf(platform, cluster, instance, source.role));
  const std::string type(repo::SnapshotTypeName(options.type));
  plan.reason = "chosen instance '" + instance.name + "' (" + type + ")";
  plan.virtual_filename = engine.DumpFileName();
  core::LogInfo("capture source: " + plan.reason,
                {{"cluster", cluster.ns + "/" + cluster.name}, {"instance", instance.name}});
  std::string what = type + " capture of '" + instance.name + "'";
  return StorePlannedDump(platform, cluster, engine, repo,
                          {.plan = std::move(plan), .what = std::move(what)}, options);
}

}  // namespace hasteward::jobs
