#include "operator/runtime/job_events.h"

#include <cmath>
#include <string>

namespace hasteward::op {

namespace {

using platform::ClusterEvent;
using platform::ClusterEventType;

std::string Capitalized(const char* name) {
  std::string text(name);
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z')
    text[0] = static_cast<char>(text[0] - 'a' + 'A');
  return text;
}

std::string Seconds(double seconds) {
  return std::to_string(std::lround(seconds)) + " s";
}

ClusterEvent ForJob(const JobRequest& request, const JobResult& result) {
  const std::string job = Capitalized(JobKindName(request.kind));
  const std::string took = " in " + Seconds(result.seconds);
  switch (result.outcome) {
    case JobOutcome::kOk:
      if (request.kind == JobKind::kTriage) {
        // A triage that ran is "ok" whatever it found: the verdict decides the event.
        if (result.verdict == "healthy")
          return {ClusterEventType::kNormal, "TriageHealthy", "triage: healthy" + took};
        return {ClusterEventType::kWarning, "TriageUnhealthy",
                "triage verdict: " + result.verdict + took};
      }
      return {ClusterEventType::kNormal, job + "Succeeded",
              JobKindName(request.kind) +
                  (result.snapshot_id.empty() ? std::string()
                                              : " snapshot " + result.snapshot_id.substr(0, 8)) +
                  took};
    case JobOutcome::kFailed:
      return {ClusterEventType::kWarning, job + "Failed",
              std::string(JobKindName(request.kind)) + " verdict: failed" +
                  (result.error.empty() ? "" : ": " + result.error)};
    case JobOutcome::kSkipped:
      return {ClusterEventType::kNormal, job + "Skipped",
              "the newest backup is already verified; nothing restored"};
    case JobOutcome::kAborted:
      return {ClusterEventType::kWarning, job + "Aborted",
              std::string(JobKindName(request.kind)) + " stopped when the operator shut down"};
    case JobOutcome::kError: break;
  }
  return {ClusterEventType::kWarning, job + "Error",
          std::string(JobKindName(request.kind)) + " failed: " + result.error};
}

ClusterEvent ForRepair(const RepairReport& repair) {
  switch (repair.result) {
    case RepairResult::kHealed:
      return {ClusterEventType::kNormal, "RepairHealed",
              "repair healed the cluster" +
                  (repair.escrow_snapshot.empty()
                       ? std::string()
                       : " (escrow snapshot " + repair.escrow_snapshot.substr(0, 8) + ")")};
    case RepairResult::kRefused:
      return {ClusterEventType::kWarning, "RepairRefused", "repair refused: " + repair.error};
    case RepairResult::kFailed: break;
  }
  return {ClusterEventType::kWarning, "RepairFailed", "repair failed: " + repair.error};
}

}  // namespace

std::vector<platform::ClusterEvent> JobEvents(const JobRequest& request, const JobResult& result) {
  std::vector<ClusterEvent> events = {ForJob(request, result)};
  if (result.repair)
    events.push_back(ForRepair(*result.repair));
  return events;
}

}  // namespace hasteward::op
