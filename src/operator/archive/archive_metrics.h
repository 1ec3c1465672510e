// operator/archive/archive_metrics: the Prometheus families of the continuous archives serve keeps
// (archive_supervisor.h), appended to the rest of /metrics (metrics.h). Labels cluster,
// namespace, engine, as every per-cluster family.
#pragma once

#include <string>
#include <vector>

#include "operator/archive/archive_progress.h"

namespace hasteward::op {

// The archive families for `archives` at `now` (unix seconds). A sample whose value is not known
// yet (no successful cycle, no backlog measured, no window read) is left out, never shown as 0:
// a lag of 0 would say the archive is current.
std::string RenderArchiveMetrics(const std::vector<ArchiveProgress>& archives, double now);

}  // namespace hasteward::op
