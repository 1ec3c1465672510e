// operator/runtime/job_events: the Event a finished job leaves on its cluster
// (platform::RecordEvent; on Kubernetes beside the CR, where `kubectl describe` shows it). Reasons
// are "<Job><Result>":
//
//   BackupSucceeded / VerifySucceeded / VerifySkipped / TriageHealthy   Normal
//   TriageUnhealthy (verdict in the message), VerifyFailed, <Job>Error, <Job>Aborted   Warning
//   RepairHealed Normal; RepairRefused, RepairFailed Warning (after a triage in mode repair)
#pragma once

#include <vector>

#include "operator/runtime/job_runner.h"
#include "platform/cluster_event.h"

namespace hasteward::op {

// One event for the job, plus one for the repair that followed a triage.
std::vector<platform::ClusterEvent> JobEvents(const JobRequest& request, const JobResult& result);

}  // namespace hasteward::op
