// operator/standby/standby_metrics: the Prometheus families of the DR standbys serve runs
// (standby_runner.h), appended to the rest of /metrics (metrics.h). Label standby (its declared
// name); the condition family adds condition (BucketReadable, SourceConfigKnown, Restorable,
// Fresh, Stale). The verification families come from the standby's own verification
// (standby_verifier.h): last result, when, and how many serve ran.
#pragma once

#include <string>
#include <vector>

#include "operator/standby/standby_runner.h"

namespace hasteward::op {

// The standby families. A sample whose value is not known (no discovery yet, a condition
// Unknown, a backlog not measurable) is left out, never shown as 0: Stale 0 would say the
// standby is fine.
std::string RenderStandbyMetrics(const std::vector<StandbyProgress>& standbys);

}  // namespace hasteward::op
