#include "core/os_user.h"
#include "core/subprocess.h"
#include "verify/health_checks.h"

namespace hasteward::verify {

core::Status ResetAdminPassword(const platform::Cluster& cluster) {
  if (cluster.engine != platform::EngineKind::kPostgres)
    return core::Status::Ok();
  const platform::Instance& i = cluster.instances[0];
  HS_ASSIGN_OR_RETURN(std::string password, cluster.credentials.password.Resolve());
  std::string user = cluster.credentials.user.empty() ? "postgres" : cluster.credentials.user;
  std::string quoted = "'";
  for (char c : password)
    quoted += c == '\'' ? std::string("''") : std::string(1, c);
  quoted += "'";
  core::SubprocessOptions o;
  o.argv = {i.bin_dir.empty() ? "psql" : i.bin_dir + "/psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            i.socket,
            "-p",
            std::to_string(i.port),
            "-U",
            user,
            "-d",
            "postgres"};
  o.stdin_mode = core::StdioMode::kPipe;
  HS_TRY(core::RunAsOsUser(i.os_user, o));
  std::string sql = "ALTER ROLE \"" + user + "\" PASSWORD " + quoted + ";\n";
  auto out = core::RunChecked(o, sql);
  if (!out.ok())
    return out.TakeStatus().Wrap("reset the scratch instance's admin password");
  return core::Status::Ok();
}

}  // namespace hasteward::verify
