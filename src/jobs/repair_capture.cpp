#include "core/log.h"
#include "engine/mariadb/mariadb_connection.h"
#include "jobs/jobs.h"
#include "jobs/repair_job.h"

namespace hasteward::jobs {

core::Result<ClusterBackupResult> BackupInstance(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 engine::Engine& engine, repo::Repository& repo,
                                                 const platform::Instance& instance,
                                                 const std::string& role,
                                                 const ClusterBackupOptions& options) {
  engine::BackupPlan plan;
  plan.source = instance;
  plan.role = role;
  plan.reason = "chosen instance '" + instance.name + "' (" + options.type + ")";
  plan.virtual_filename = engine.DumpFileName();
  if (cluster.engine != platform::EngineKind::kPostgres) {
    HS_ASSIGN_OR_RETURN(auto conn,
                        engine::mariadb::MariadbConnection::ConnectInstance(cluster, instance));
    HS_ASSIGN_OR_RETURN(auto log_bin, conn->GlobalVariable("log_bin"));
    plan.metadata["log_bin"] = log_bin.value_or("OFF");
    if (plan.metadata["log_bin"] != "ON" && role == "replica")
      plan.role = "primary";
  }
  core::LogInfo("capture source: " + plan.reason,
                {{"cluster", cluster.ns + "/" + cluster.name}, {"instance", instance.name}});
  return StorePlannedDump(platform, cluster, engine, repo, plan, options,
                          options.type + " capture of '" + instance.name + "'");
}

}  // namespace hasteward::jobs
