#include "core/log.h"
#include "jobs/jobs.h"
#include "jobs/repair_job.h"

namespace hasteward::jobs {

core::Result<ClusterBackupResult> BackupInstance(const engine::ClusterHandle& target,
                                                 repo::Repository& repo,
                                                 const CaptureSource& source,
                                                 const ClusterBackupOptions& options) {
  const platform::Instance& instance = source.instance;
  engine::Engine& engine = target.engine();
  HS_ASSIGN_OR_RETURN(
      engine::BackupPlan plan,
      engine.PlanBackupOf(target.platform(), target.cluster(), instance, source.role));
  const std::string type(repo::SnapshotTypeName(options.type));
  plan.reason = "chosen instance '" + instance.name + "' (" + type + ")";
  plan.virtual_filename = engine.DumpFileName();
  core::LogInfo("capture source: " + plan.reason,
                {{"cluster", target.QualifiedName()}, {"instance", instance.name}});
  std::string what = type + " capture of '" + instance.name + "'";
  return StorePlannedDump(target, repo, {.plan = std::move(plan), .what = std::move(what)},
                          options);
}

}  // namespace hasteward::jobs
