// PostgresEngine's triage capability: engine/postgres/triage.h reads the instances; this file
// puts it behind engine::Engine and describes an instance for the triage table.
#include "engine/postgres/postgres_engine.h"
#include "engine/postgres/triage.h"

namespace hasteward::engine::postgres {

const char* PostgresEngine::DumpEndMarker() const {
  return kPgDumpallEndMarker;
}

core::Result<TriageReport> PostgresEngine::Triage(platform::Platform& platform,
                                                  const platform::Cluster& cluster) {
  return TriagePostgres(platform, cluster);
}

InstanceDescription PostgresEngine::DescribeInstanceHealth(const InstanceHealth& h) const {
  InstanceDescription d;
  // The lineage (timeline + LSN) is what the authority rule compares; "(ckpt)" says it was read
  // from pg_controldata of a stopped server, so it is the last checkpoint, not the WAL end.
  d.position = h.Fact("lineage_timeline").empty()
                   ? "-"
                   : "TL" + h.Fact("lineage_timeline") + " " + h.Fact("position_lsn") +
                         (h.Fact("position_source") == "checkpoint" ? " (ckpt)" : "");
  if (!h.error.empty()) {
    d.detail = h.error;
  } else if (h.role == InstanceRole::kStandby) {
    d.detail = "wal receiver " + h.Fact("wal_receiver_status") + ", lag " +
               h.Fact("replay_lag_seconds") + " s";
  } else if (h.role == InstanceRole::kPrimary) {
    d.detail = "streaming standbys: " + h.Fact("streaming_standbys");
  } else {
    d.detail = h.Fact("control_state");
  }
  return d;
}

}  // namespace hasteward::engine::postgres
