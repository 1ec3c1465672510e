#include "core/log.h"
#include "jobs/jobs.h"
#include "jobs/repair_job.h"

namespace hasteward::jobs {

core::Result<ClusterBackupResult> BackupInstance(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 engine::Engine& engine, repo::Repository& repo,
                                                 const platform::Instance& instance,
                                                 engine::InstanceRole role,
                                                 const ClusterBackupOptions& options) {
  HS_ASSIGN_OR_RETURN(engine::BackupPlan plan,
                      engine.PlanBackupOf(platform, cluster, instance, role));
  plan.reason = "chosen instance '" + instance.name + "' (" + options.type + ")";
  plan.virtual_filename = engine.DumpFileName();
  core::LogInfo("capture source: " + plan.reason,
                {{"cluster", cluster.ns + "/" + cluster.name}, {"instance", instance.name}});
  return StorePlannedDump(platform, cluster, engine, repo, plan, options,
                          options.type + " capture of '" + instance.name + "'");
}

}  // namespace hasteward::jobs
