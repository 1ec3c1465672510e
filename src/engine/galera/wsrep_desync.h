#pragma once

#include <memory>
#include <string>

#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/native_stream.h"

namespace hasteward::engine::galera {

// A Galera node desynced (SET GLOBAL wsrep_desync=ON) for as long as this object lives, so a
// backup reading it does not make the cluster stall on flow control; the destructor turns it
// back OFF (also when the backup fails or hasteward stops on a signal and unwinds; only kill -9
// can leave it set, and `hasteward triage` then shows the node as Donor/Desynced). A node that was
// already desynced by someone else is left as it was.
class WsrepDesync : public mariadb::BackupHold {
 public:
  static core::Result<std::unique_ptr<WsrepDesync>> Start(const platform::InstanceHandle& node);
  ~WsrepDesync() override;
  WsrepDesync(const WsrepDesync&) = delete;
  WsrepDesync& operator=(const WsrepDesync&) = delete;

 private:
  WsrepDesync(mariadb::MariadbConnectParams params, platform::Instance node,
              std::unique_ptr<mariadb::MariadbConnection> conn)
      : params_(std::move(params)), node_(std::move(node)), conn_(std::move(conn)) {}
  core::Status Resync();

  mariadb::MariadbConnectParams params_;  // the node's endpoint, to reconnect for the resync
  platform::Instance node_;
  std::unique_ptr<mariadb::MariadbConnection> conn_;
};

}  // namespace hasteward::engine::galera
