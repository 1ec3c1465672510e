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
  // The lineage (timeline + LSN) is what the authority rule compares. A stopped server's is the
  // end of its WAL ("(wal end)"), or a lower bound when that could not be read: its last
  // checkpoint ("(ckpt)") or the start of its last record ("(last record)").
  const std::string source = h.Fact("position_source");
  const char* suffix = source == "checkpoint"    ? " (ckpt)"
                       : source == "end_of_wal"  ? " (wal end)"
                       : source == "last_record" ? " (last record)"
                                                 : "";
  d.position = h.Fact("lineage_timeline").empty()
                   ? "-"
                   : "TL" + h.Fact("lineage_timeline") + " " + h.Fact("position_lsn") + suffix;
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
