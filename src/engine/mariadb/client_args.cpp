#include "engine/mariadb/client_args.h"

#include "engine/mariadb/mariadb_connection.h"

namespace hasteward::engine::mariadb {

core::Result<ToolSecrets> MariadbClientArgs(const platform::Cluster& cluster,
                                            const platform::Instance& inst, const std::string& tool,
                                            std::vector<std::string>* argv) {
  ToolSecrets secrets;
  HS_ASSIGN_OR_RETURN(std::string password, cluster.credentials.password.Resolve());
  argv->push_back(ToolPath(inst, tool));
  if (!password.empty()) {
    HS_ASSIGN_OR_RETURN(std::string path,
                        secrets.Add("client.cnf", MyCnfContent(MariadbUser(cluster), password)));
    argv->push_back("--defaults-file=" + path);  // must be the first option
  } else {
    argv->push_back("--no-defaults");
  }
  argv->push_back("--user=" + MariadbUser(cluster));
  if (inst.port > 0) {
    argv->push_back("--host=" + (inst.host.empty() ? std::string("127.0.0.1") : inst.host));
    argv->push_back("--port=" + std::to_string(inst.port));
    argv->push_back("--protocol=tcp");
  } else {
    argv->push_back("--socket=" + inst.socket);
  }
  if (tool == "mariadb") {  // mariadb-dump has no such option
    argv->push_back("--connect-timeout=5");
  }
  return secrets;
}

}  // namespace hasteward::engine::mariadb
