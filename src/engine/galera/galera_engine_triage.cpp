// GaleraEngine's triage capability: engine/galera/triage.h reads the nodes; this file puts it
// behind engine::Engine and describes a node for the triage table.
#include "engine/galera/galera_engine.h"
#include "engine/galera/triage.h"

namespace hasteward::engine::galera {

core::Result<TriageReport> GaleraEngine::Triage(platform::Platform& platform,
                                                const platform::Cluster& cluster) {
  return TriageGalera(platform, cluster);
}

InstanceDescription GaleraEngine::DescribeInstanceHealth(const InstanceHealth& h) const {
  InstanceDescription d;
  // A node without a committed position is a finding (it may be the most advanced node), so the
  // table says UNKNOWN rather than "-".
  d.position = h.Fact("position_seqno").empty()
                   ? "UNKNOWN"
                   : h.Fact("position_uuid").substr(0, 8) + ":" + h.Fact("position_seqno") + " (" +
                         h.Fact("position_source") + ")";
  if (!h.error.empty()) {
    d.detail = h.error;
  } else if (h.Fact("wsrep_local_state_comment").empty()) {
    d.detail = "grastate seqno " + h.Fact("grastate_seqno");  // stopped: only grastate.dat
  } else {
    d.detail = h.Fact("wsrep_local_state_comment") + ", " + h.Fact("wsrep_cluster_status") +
               ", size " + h.Fact("wsrep_cluster_size");
  }
  return d;
}

}  // namespace hasteward::engine::galera
