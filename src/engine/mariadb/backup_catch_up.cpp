#include "engine/mariadb/backup_catch_up.h"

#include "engine/mariadb/probe_account.h"
#include "engine/mariadb/promotion.h"

namespace hasteward::engine::mariadb {

core::Status WaitReplicaHolds(const platform::InstanceHandle& replica,
                              const std::string& primary_position,
                              std::chrono::milliseconds bound) {
  if (primary_position.empty()) {
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto conn, ConnectForWait(replica, bound));
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(bound).count();
  HS_ASSIGN_OR_RETURN(
      auto waited, conn->QueryValue("SELECT MASTER_GTID_WAIT(" + SqlQuote(primary_position) + ", " +
                                    std::to_string(seconds) + ")"));
  if (waited.value_or("-1") == "0") {
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto reached, conn->QueryValue("SELECT @@global.gtid_slave_pos"));
  return core::Status(core::ErrorCode::kTimeout,
                      "did not apply the primary's position " + primary_position + " within " +
                          std::to_string(seconds) + " s (it is at " + reached.value_or("?") + ")",
                      "check its applier (SHOW SLAVE STATUS)");
}

}  // namespace hasteward::engine::mariadb
