// A triage report as JSON (the `triage --json` output and the per-cluster state file that
// `get status` reads). Facts never hold secrets, so the whole report is safe to print and keep.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/triage.h"

namespace hasteward::engine {

const char* SeverityName(Severity s);  // "info", "warning", "critical"

nlohmann::ordered_json TriageReportToJson(const TriageReport& report);

}  // namespace hasteward::engine
