// MariadbEngine's triage capability: engine/mariadb/triage.h reads the instances; this file puts
// it behind engine::Engine and describes an instance for the triage table.
#include "engine/mariadb/mariadb_engine.h"
#include "engine/mariadb/triage.h"

namespace hasteward::engine::mariadb {

core::Result<TriageReport> MariadbEngine::Triage(platform::Platform& platform,
                                                 const platform::Cluster& cluster) {
  return TriageMariadb(platform, cluster);
}

InstanceDescription MariadbEngine::DescribeInstanceHealth(const InstanceHealth& h) const {
  InstanceDescription d;
  d.position = h.Fact("gtid_current_pos").empty() ? "-" : h.Fact("gtid_current_pos");
  if (!h.error.empty()) {
    d.detail = h.error;
  } else if (!h.Fact("replication_problem").empty()) {
    d.detail = h.Fact("replication_problem");  // the reason it is degraded comes first
  } else if (h.role == InstanceRole::kReplica) {
    d.detail = "lag " + h.Fact("lag_seconds") + " s";
  } else {
    d.detail = "read_only " + h.Fact("read_only");
  }
  return d;
}

}  // namespace hasteward::engine::mariadb
