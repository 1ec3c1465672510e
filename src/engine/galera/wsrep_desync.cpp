#include "engine/galera/wsrep_desync.h"

#include "core/log.h"

namespace hasteward::engine::galera {

core::Result<std::unique_ptr<WsrepDesync>> WsrepDesync::Start(
    const platform::InstanceHandle& handle) {
  const platform::Instance& node = handle.instance();
  HS_ASSIGN_OR_RETURN(mariadb::MariadbConnectParams params, mariadb::InstanceConnectParams(handle));
  HS_ASSIGN_OR_RETURN(auto conn, mariadb::MariadbConnection::Connect(params));
  HS_ASSIGN_OR_RETURN(auto current, conn->QueryValue("SELECT @@global.wsrep_desync"));
  if (current.value_or("0") == "1") {
    core::LogWarn("galera node '" + node.name +
                  "' is already desynced (wsrep_desync=ON); the backup leaves it so");
    return std::unique_ptr<WsrepDesync>(new WsrepDesync(std::move(params), node, nullptr));
  }
  HS_TRY(conn->Execute("SET GLOBAL wsrep_desync=ON")
             .Wrap("desync galera node '" + node.name + "' for the backup"));
  core::LogInfo("desynced galera node '" + node.name + "' (wsrep_desync=ON) for the backup");
  return std::unique_ptr<WsrepDesync>(new WsrepDesync(std::move(params), node, std::move(conn)));
}

core::Status WsrepDesync::Resync() {
  core::Status first = conn_->Execute("SET GLOBAL wsrep_desync=OFF");
  if (first.ok()) {
    return first;
  }
  // The connection may have died with the backup (a killed tool, a server restart): once more
  // on a new one.
  HS_ASSIGN_OR_RETURN(auto conn, mariadb::MariadbConnection::Connect(params_));
  return conn->Execute("SET GLOBAL wsrep_desync=OFF");
}

WsrepDesync::~WsrepDesync() {
  if (conn_ == nullptr) {
    return;
  }
  core::Status resynced = Resync();
  if (resynced.ok()) {
    core::LogInfo("resynced galera node '" + node_.name + "' (wsrep_desync=OFF)");
  } else {
    core::LogError("could not set wsrep_desync=OFF on galera node '" + node_.name +
                   "': " + resynced.message() + "; run 'SET GLOBAL wsrep_desync=OFF' on it");
  }
}

}  // namespace hasteward::engine::galera
