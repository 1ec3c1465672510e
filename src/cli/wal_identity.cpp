#include "cli/wal_identity.h"

#include <filesystem>
#include <set>

#include "pitr/pitr.h"
#include "pitr/wal/server_user_access.h"

namespace hasteward::cli {

core::Result<WalIdentity> OpenWalIdentity(const GlobalOptions& g) {
  if (g.engine.empty() || g.cluster.empty()) {
    return core::Usage("the archive commands need -e ENGINE and -c CLUSTER (and -n NAMESPACE)",
                       "use the command line 'hasteward archive enable' wrote into the server's "
                       "configuration");
  }
  WalIdentity id;
  HS_ASSIGN_OR_RETURN(id.cluster.engine, platform::ParseEngineKind(g.engine));
  id.cluster.name = g.cluster;
  id.cluster.ns = g.ns;
  HS_ASSIGN_OR_RETURN(id.engine, engine::MakeEngine(id.cluster.engine));
  id.archiving = id.engine->archiving();
  if (id.archiving == nullptr) {
    return engine::Unsupported(*id.engine, "WAL archiving (point-in-time recovery)");
  }
  return id;
}

core::Result<engine::ArchiveCommands> ServerArchiveCommands(const GlobalOptions& g,
                                                            const platform::Cluster& cluster,
                                                            const std::string& agent_socket) {
  pitr::WalCommandContext context;
  std::error_code error;
  auto binary = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    return core::Internal("cannot read /proc/self/exe: " + error.message());
  }
  context.binary = binary.string();
  HS_ASSIGN_OR_RETURN(context.repository, g.Repository());
  if (context.repository.find(':') == std::string::npos) {
    // A local path: the server runs the command in its data directory.
    context.repository = std::filesystem::absolute(context.repository, error).string();
  }
  if (!g.password_file.empty()) {
    context.password_file = std::filesystem::absolute(g.password_file, error).string();
  }
  if (!g.s3_credentials_file.empty()) {
    context.s3_credentials_file = std::filesystem::absolute(g.s3_credentials_file, error).string();
  }
  context.cluster = cluster;
  if (!agent_socket.empty()) {
    context.agent_socket = std::filesystem::absolute(agent_socket, error).string();
  }
  HS_ASSIGN_OR_RETURN(engine::ArchiveCommands commands, pitr::BuildArchiveCommands(context));
  if (!g.dry_run) {
    // Each server runs these as its own OS user: one that cannot would fail every call unseen.
    std::set<std::string> os_users;
    for (const platform::Instance& instance : cluster.instances) {
      os_users.insert(instance.os_user);
    }
    for (const std::string& os_user : os_users) {
      HS_TRY(pitr::CheckServerUserReaches(context, os_user));
    }
  }
  return commands;
}

}  // namespace hasteward::cli
