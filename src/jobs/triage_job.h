// Triage as a job: read the cluster's health (its engine's Triage) and record the report as the
// cluster's last triage under the state dir (<stateDir>/triage/<ns>/<cluster>.json), which
// `get status` lists for every known cluster.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "engine/triage.h"
#include "platform/platform.h"

namespace hasteward::jobs {

// Triage, then record it (a failure to record is logged as a warning, never fails the triage).
core::Result<engine::TriageReport> TriageAndRecord(const engine::ClusterHandle& target,
                                                   const std::string& state_dir);

// Writes the report (with "recorded_at", RFC 3339 UTC) atomically.
core::Status RecordTriage(const std::string& state_dir, const engine::TriageReport& report);

// Every recorded last triage, ordered by namespace and cluster. A missing directory is empty.
core::Result<std::vector<nlohmann::json>> LoadRecordedTriages(const std::string& state_dir);

}  // namespace hasteward::jobs
