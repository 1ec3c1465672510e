#include "operator/status_view.h"

#include <ctime>

#include "core/cron.h"
#include "core/utc_time.h"

namespace hasteward::op {

namespace {

JobStatus Job(const ServeState& s, const std::string& key, JobKind kind, const std::string& expr) {
  JobStatus j;
  auto it = s.jobs.find(JobKey(key, kind));
  if (it != s.jobs.end()) {
    j.outcome = it->second.outcome;
    j.last_run = it->second.last_run;
    j.snapshot_id = it->second.snapshot_id;
    j.error = it->second.error;
  }
  if (!expr.empty()) {
    auto cron = core::CronSchedule::Parse(expr);
    int64_t from = j.last_run != 0 ? j.last_run : s.first_start;
    if (cron.ok()) {
      auto next = cron->Next(core::TimePoint(std::chrono::seconds(from)));
      if (next != core::TimePoint::max()) {
        j.next_run =
            std::chrono::duration_cast<std::chrono::seconds>(next.time_since_epoch()).count();
      }
    }
  }
  return j;
}

}  // namespace

core::Result<std::vector<ClusterStatus>> BuildStatus(const ServeConfig& config,
                                                     const ServeState& state) {
  HS_ASSIGN_OR_RETURN(auto clusters, ResolveClusters(config));
  std::vector<ClusterStatus> out;
  out.reserve(clusters.size());
  for (const auto& c : clusters) {
    out.push_back({c.ns, c.name, c.policy, c.mode,
                   Job(state, c.Key(), JobKind::kBackup, c.backup_schedule),
                   Job(state, c.Key(), JobKind::kVerify, c.verify_schedule),
                   Job(state, c.Key(), JobKind::kTriage, c.triage_schedule),
                   Job(state, c.Key(), JobKind::kRepair, "")});
  }
  return out;
}

std::string FormatUnix(int64_t t) {
  if (t == 0)
    return "-";
  return core::Rfc3339Utc(t);
}

}  // namespace hasteward::op
