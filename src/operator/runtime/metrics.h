// operator/runtime/metrics: the Prometheus text exposition (format 0.0.4) of what `serve` knows,
// rendered from the persisted state (state_store.h) so that a restarted operator reports the last
// results at once. Names follow Prometheus conventions (units as suffixes, _total for counters);
// labels cluster, namespace, engine per cluster, job per job kind; the switchover families add kind
// (switchover / failover).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "jobs/switchover_record.h"
#include "operator/archive/archive_progress.h"
#include "operator/config.h"
#include "operator/runtime/state_store.h"

namespace hasteward::op {

struct MetricsContext {
  std::map<std::string, std::string> engines;  // cluster key -> engine name
  // Cluster key -> unix seconds its schedules started counting (Scheduler::ScheduleStarts).
  std::map<std::string, int64_t> schedule_starts;
  int jobs_running = 0;
  bool triage_available = true;
  bool repair_available = true;
  bool retention_available = false;
  // The last switchover or failover of each cluster that had one (jobs/switchover_record.h),
  // managed by this operator or not: the CLI ran it, serve only reports it.
  std::vector<jobs::SwitchoverRecord> switchovers;
  // The continuous archives serve keeps (archive_supervisor.h), and now in unix seconds for
  // their lag.
  std::vector<ArchiveProgress> archives;
  double now = 0;
};

std::string RenderMetrics(const std::vector<ManagedCluster>& clusters, const ServeState& state,
                          const MetricsContext& ctx);

// Escapes a label value (backslash, double quote, newline).
std::string EscapeLabel(const std::string& value);

}  // namespace hasteward::op
