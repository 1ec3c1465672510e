#include "operator/runtime/metrics.h"

#include <iomanip>
#include <sstream>
#include <utility>

#include "operator/archive/archive_metrics.h"
#include "operator/runtime/job_runner.h"

namespace hasteward::op {

namespace {

struct Family {
  const char* name;
  const char* type;
  const char* help;
};

class Writer {
 public:
  Writer() { out_ << std::setprecision(15); }
  void Head(const Family& f) {
    out_ << "# HELP " << f.name << " " << f.help << "\n# TYPE " << f.name << " " << f.type << "\n";
  }
  void Sample(const char* name, const std::string& labels, double value) {
    out_ << name;
    if (!labels.empty())
      out_ << "{" << labels << "}";
    out_ << " " << value << "\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::string ClusterLabels(const ManagedCluster& c, const MetricsContext& ctx) {
  auto e = ctx.engines.find(c.Key());
  return "cluster=\"" + EscapeLabel(c.name) + "\",namespace=\"" + EscapeLabel(c.ns) +
         "\",engine=\"" + EscapeLabel(e == ctx.engines.end() ? "unknown" : e->second) + "\"";
}

const JobRecord* Find(const ServeState& s, const ManagedCluster& c, JobKind kind) {
  auto it = s.jobs.find(JobKey(c.Key(), kind));
  return it == s.jobs.end() ? nullptr : &it->second;
}

// What every family is rendered from.
struct Source {
  const std::vector<ManagedCluster>& clusters;
  const ServeState& state;
  const MetricsContext& ctx;
};

// One gauge per cluster from the cluster's record of `kind` (skipped when never run).
void PerCluster(Writer& w, const Family& f, const Source& src, JobKind kind,
                double (*value)(const JobRecord&)) {
  w.Head(f);
  for (const auto& c : src.clusters) {
    if (const JobRecord* r = Find(src.state, c, kind))
      w.Sample(f.name, ClusterLabels(c, src.ctx), value(*r));
  }
}

// hasteward_repairs_total: one sample per cluster and result, 0 for results never seen.
void Repairs(Writer& w, const Source& src) {
  static const Family repairs{"hasteward_repairs_total", "counter",
                              "Repairs run after an unhealthy triage (mode repair), by result: "
                              "healed, refused (a hard stop of the safety table) or failed"};
  w.Head(repairs);
  for (const auto& c : src.clusters) {
    auto counts = src.state.repairs.find(c.Key());
    for (RepairResult result : kRepairResults) {
      const char* name = RepairResultName(result);
      int64_t n = 0;
      if (counts != src.state.repairs.end()) {
        auto it = counts->second.find(name);
        n = it == counts->second.end() ? 0 : it->second;
      }
      w.Sample(repairs.name, ClusterLabels(c, src.ctx) + ",result=\"" + name + "\"",
               static_cast<double>(n));
    }
  }
}

// The state a triage record shows as: its verdict, "not-available" when the last triage ended
// in an error (it could not reach a verdict: unreachable instances, missing credentials, an engine
// this build or platform cannot triage), "unknown" before the first triage or after one aborted on
// shutdown. Every managed cluster has exactly one state at 1, so an alert on a state never misses a
// cluster whose triage fails.
std::string TriageState(const JobRecord* r) {
  if (r == nullptr || r->outcome == JobOutcomeName(JobOutcome::kAborted))
    return "unknown";
  if (r->outcome == JobOutcomeName(JobOutcome::kError))
    return "not-available";
  return r->outcome;
}

void TriageStates(Writer& w, const std::vector<ManagedCluster>& clusters, const ServeState& s,
                  const MetricsContext& ctx) {
  static const Family f{"hasteward_triage_state", "gauge",
                        "1 for the cluster's last triage verdict, 0 for the others"};
  w.Head(f);
  for (const auto& c : clusters) {
    const std::string current = TriageState(Find(s, c, JobKind::kTriage));
    for (const char* st : {"healthy", "degraded", "split-brain", "unknown", "not-available"}) {
      w.Sample(f.name, ClusterLabels(c, ctx) + ",state=\"" + st + "\"", current == st ? 1 : 0);
    }
  }
}

// hasteward_schedule_start_timestamp_seconds: one sample per cluster and scheduled job kind from
// the moment the cluster is managed. The last-backup and last-verification series exist only once
// such a job ran, and an alert on the age of a series that is absent never fires: a cluster whose
// first backup never happens would stay silent forever. The alerts count the age from here until
// the first success (deploy/monitoring/prometheusrule.yaml).
void ScheduleStarts(Writer& w, const Source& src) {
  static const Family f{"hasteward_schedule_start_timestamp_seconds", "gauge",
                        "Unix time the cluster's schedule of this job started counting (the "
                        "operator's first start or the cluster's opt-in): the age of a job that "
                        "never succeeded counts from here"};
  w.Head(f);
  for (const auto& c : src.clusters) {
    auto start = src.ctx.schedule_starts.find(c.Key());
    if (start == src.ctx.schedule_starts.end())
      continue;
    const std::pair<const char*, const std::string*> schedules[] = {{"backup", &c.backup_schedule},
                                                                    {"verify", &c.verify_schedule},
                                                                    {"triage", &c.triage_schedule}};
    for (const auto& [schedule, expression] : schedules) {
      if (!expression->empty()) {
        w.Sample(f.name, ClusterLabels(c, src.ctx) + ",schedule=\"" + schedule + "\"",
                 static_cast<double>(start->second));
      }
    }
  }
}

std::string SwitchoverLabels(const jobs::SwitchoverRecord& r) {
  return "cluster=\"" + EscapeLabel(r.cluster) + "\",namespace=\"" + EscapeLabel(r.ns) +
         "\",engine=\"" + EscapeLabel(r.engine) + "\",kind=\"" + EscapeLabel(r.kind) + "\"";
}

// The last switchover / failover per cluster: how long it took, whether it completed, when, and
// (as an info metric) which step failed and which instance is primary since.
void Switchovers(Writer& w, const std::vector<jobs::SwitchoverRecord>& records) {
  static const Family duration{"hasteward_switchover_last_duration_seconds", "gauge",
                               "Wall time of the last switchover or failover, pre-check to its "
                               "last step"};
  static const Family success{"hasteward_switchover_last_success", "gauge",
                              "1 when the last switchover or failover completed, 0 when it "
                              "aborted"};
  static const Family when{"hasteward_switchover_last_timestamp_seconds", "gauge",
                           "Unix time the last switchover or failover ended"};
  static const Family info{"hasteward_switchover_last_info", "gauge",
                           "Always 1; labels name the failed step (empty when it completed), the "
                           "old primary and the promoted instance"};
  w.Head(duration);
  for (const auto& r : records)
    w.Sample(duration.name, SwitchoverLabels(r), r.duration_seconds);
  w.Head(success);
  for (const auto& r : records)
    w.Sample(success.name, SwitchoverLabels(r), r.ok ? 1 : 0);
  w.Head(when);
  for (const auto& r : records)
    w.Sample(when.name, SwitchoverLabels(r), static_cast<double>(r.finished_at));
  w.Head(info);
  for (const auto& r : records) {
    w.Sample(info.name,
             SwitchoverLabels(r) + ",failed_step=\"" + EscapeLabel(r.failed_step) +
                 "\",old_primary=\"" + EscapeLabel(r.old_primary) + "\",new_primary=\"" +
                 EscapeLabel(r.new_primary) + "\"",
             1);
  }
}

}  // namespace

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char ch : value) {
    if (ch == '\\' || ch == '"')
      out += '\\';
    out += ch == '\n' ? std::string("\\n") : std::string(1, ch);
  }
  return out;
}

std::string RenderMetrics(const std::vector<ManagedCluster>& clusters, const ServeState& s,
                          const MetricsContext& ctx) {
  Writer w;
  const Source src{clusters, s, ctx};
  PerCluster(w,
             {"hasteward_last_backup_timestamp_seconds", "gauge",
              "Unix time the last successful backup finished"},
             src, JobKind::kBackup,
             [](const JobRecord& r) { return static_cast<double>(r.last_success); });
  PerCluster(w, {"hasteward_last_backup_size_bytes", "gauge", "Bytes dumped by the last backup"},
             src, JobKind::kBackup,
             [](const JobRecord& r) { return static_cast<double>(r.size_bytes); });
  PerCluster(w, {"hasteward_last_backup_duration_seconds", "gauge", "Duration of the last backup"},
             src, JobKind::kBackup, [](const JobRecord& r) { return r.duration_seconds; });
  PerCluster(w, {"hasteward_backup_success", "gauge", "1 when the last backup succeeded"}, src,
             JobKind::kBackup, [](const JobRecord& r) { return r.ok ? 1.0 : 0.0; });
  PerCluster(w,
             {"hasteward_last_verification_timestamp_seconds", "gauge",
              "Unix time the last verification verdict was recorded"},
             src, JobKind::kVerify,
             [](const JobRecord& r) { return static_cast<double>(r.last_success); });
  PerCluster(w,
             {"hasteward_verification_success", "gauge",
              "1 when the last verified backup restored and passed every check"},
             src, JobKind::kVerify, [](const JobRecord& r) { return r.ok ? 1.0 : 0.0; });
  ScheduleStarts(w, src);
  TriageStates(w, clusters, s, ctx);
  Repairs(w, src);
  Switchovers(w, ctx.switchovers);
  static const Family removed{"hasteward_retention_removed_snapshots_total", "counter",
                              "Snapshots removed by retention after backups"};
  w.Head(removed);
  for (const auto& c : clusters) {
    auto it = s.retention_removed.find(c.Key());
    w.Sample(removed.name, ClusterLabels(c, ctx),
             it == s.retention_removed.end() ? 0 : static_cast<double>(it->second));
  }
  static const Family errors{"hasteward_job_errors_total", "counter", "Jobs that failed, by job"};
  w.Head(errors);
  for (const char* job : {"backup", "verify", "triage", "repair", "retention"}) {
    auto it = s.job_errors.find(job);
    w.Sample(errors.name, std::string("job=\"") + job + "\"",
             it == s.job_errors.end() ? 0 : static_cast<double>(it->second));
  }
  static const Family running{"hasteward_jobs_running", "gauge", "Jobs running now"};
  w.Head(running);
  w.Sample(running.name, "", ctx.jobs_running);
  static const Family caps{"hasteward_capability_available", "gauge",
                           "1 when this build can run the capability"};
  w.Head(caps);
  w.Sample(caps.name, "capability=\"triage\"", ctx.triage_available ? 1 : 0);
  w.Sample(caps.name, "capability=\"repair\"", ctx.repair_available ? 1 : 0);
  w.Sample(caps.name, "capability=\"retention\"", ctx.retention_available ? 1 : 0);
  return w.str() + RenderArchiveMetrics(ctx.archives, ctx.now);
}

}  // namespace hasteward::op
