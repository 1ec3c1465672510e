#include "engine/postgres/guarded_alter_system.h"

#include "engine/postgres/config_append.h"
#include "engine/repair_exec.h"

namespace hasteward::engine::postgres {

core::Status GuardedAlterSystem(platform::Platform& platform, const platform::Cluster& cluster,
                                const platform::Instance& target, PgConnection& conn,
                                const std::vector<std::string>& statements) {
  HS_ASSIGN_OR_RETURN(std::string unlocked,
                      RunScript(platform, cluster, target,
                                {.what = "make postgresql.auto.conf writable for ALTER SYSTEM",
                                 .text = kUnlockAutoConfScript,
                                 .args = {target.data_dir}}));
  core::Status altered = core::Status::Ok();
  for (const std::string& statement : statements) {
    altered = conn.Execute(statement);
    if (!altered.ok()) {
      break;
    }
  }
  // The operator's guard back in place whatever happened: ALTER SYSTEM wrote a new, writable file.
  if (unlocked.find("read-only") != std::string::npos) {
    core::Status locked = RunScript(platform, cluster, target,
                                    {.what = "make postgresql.auto.conf read-only again",
                                     .text = kLockAutoConfScript,
                                     .args = {target.data_dir}})
                              .status();
    HS_TRY(altered);
    return locked;
  }
  return altered;
}

}  // namespace hasteward::engine::postgres
