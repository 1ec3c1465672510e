#include "support/archived_cluster.h"

#include "support/cluster_env.h"
#include "support/server_user_file.h"

namespace hasteward::testing {

core::Result<ArchivedCluster> StartArchivedCluster(HastewardEnv& hs,
                                                   const SandboxCluster::Options& options,
                                                   const std::string& password) {
  ArchivedCluster out;
  HS_ASSIGN_OR_RETURN(out.cluster, SandboxCluster::Create(options));
  HS_ASSIGN_OR_RETURN(out.server, RestTestServer::Start(hs.Path("rest")));
  hs.UseRepository(out.server->Location("repo/"));
  CmdResult init = hs.Run({"repo", "init"});
  if (init.exit_code != 0) {
    return core::Internal("repo init failed: " + init.err);
  }
  HS_ASSIGN_OR_RETURN(out.password_file, WriteServerPasswordFile(hs.Path("password"), password,
                                                                 out.cluster->instance(0).os_user));
  CmdResult enabled =
      ClusterEnv::On(hs, *out.cluster, "cnpg", {"--password-file", out.password_file})
          .Hs({"archive", "enable"});
  if (enabled.exit_code != 0) {
    return core::Internal("archive enable failed: " + enabled.out + enabled.err);
  }
  return out;
}

}  // namespace hasteward::testing
