#include "engine/postgres/triage.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "core/clock.h"
#include "engine/client_tools.h"
#include "engine/postgres/fence.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_end.h"

namespace hasteward::engine::postgres {

namespace {

void ReadControlData(platform::InstanceHandle& handle, InstanceHealth* h) {
  if (h->instance.data_dir.empty()) {
    return;
  }
  auto out =
      RunOnInstance(handle, {ToolPath(h->instance, "pg_controldata"), "-D", h->instance.data_dir});
  if (!out.ok()) {
    h->facts["controldata_error"] = out.status().message();
    auto present =
        RunOnInstance(handle, {"sh", "-c", "test -e \"$1\" && echo present || echo missing",
                               "probe", h->instance.data_dir + "/global/pg_control"});
    if (present.ok() && present->rfind("missing", 0) == 0)
      h->facts["data_dir_state"] = "missing";
    return;
  }
  auto cd = ParseControlData(*out);
  h->facts["control_state"] = cd["Database cluster state"];
  h->facts["control_timeline"] = cd["Latest checkpoint's TimeLineID"];
  h->facts["checkpoint_lsn"] = cd["Latest checkpoint location"];
  h->facts["redo_lsn"] = cd["Latest checkpoint's REDO location"];
  h->facts["system_identifier"] = cd["Database system identifier"];
}

// $0 pg_waldump, $1 pg_wal, $2 timeline, $3 redo point: the last transaction record after the
// redo point, then pg_waldump's closing error at the end of the valid WAL.
constexpr char kReadWalEnd[] =
    "\"$0\" -p \"$1\" -t \"$2\" -s \"$3\" -r Transaction 2>/dev/null | tail -n 1; "
    "\"$0\" --quiet -p \"$1\" -t \"$2\" -s \"$3\" 2>&1; true";

// A stopped instance's position: the end of the WAL in its pg_wal (see wal_end.h), read from its
// last checkpoint's redo point on timeline `tli`; the checkpoint itself when pg_waldump reads
// nothing. Sets `lsn` and `source` ("end_of_wal", "last_record": a lower bound, "checkpoint"), and
// the fact "data_end_lsn": where its last transaction record ends (the redo point when none
// follows it), which is what a restore would discard of committed data.
void ReadStoppedPosition(platform::InstanceHandle& handle, InstanceHealth* h, unsigned long tli,
                         std::string* lsn, std::string* source) {
  *lsn = h->Fact("checkpoint_lsn");
  *source = "checkpoint";
  const std::string redo = h->Fact("redo_lsn");
  if (h->instance.data_dir.empty() || redo.empty() || tli == 0)
    return;
  // The last transaction record, then the end: pg_waldump ends with an error at the end of valid
  // WAL, which is the answer, so its stderr is read whatever its exit status.
  auto out = RunOnInstance(handle, {"sh", "-c", kReadWalEnd, ToolPath(h->instance, "pg_waldump"),
                                    h->instance.data_dir + "/pg_wal", std::to_string(tli), redo});
  if (!out.ok())
    return;
  auto end = WalEndFromWaldump(*out);
  auto checkpoint = ParseLsn(*lsn);
  if (!end || (checkpoint && end->lsn < *checkpoint))
    return;
  *lsn = FormatLsn(end->lsn);
  *source = end->exact ? "end_of_wal" : "last_record";
  auto last_commit = LastTransactionEndFromWaldump(*out);
  auto redo_lsn = ParseLsn(redo);
  h->facts["data_end_lsn"] = last_commit
                                 ? FormatLsn(*last_commit)
                                 : FormatLsn(TransactionEndAtOrBefore(redo_lsn.value_or(end->lsn)));
}

void ReadDiskUse(platform::InstanceHandle& handle, InstanceHealth* h) {
  if (h->instance.data_dir.empty()) {
    return;
  }
  auto out = RunOnInstance(handle, {"df", "-Pk", h->instance.data_dir});
  if (!out.ok()) {
    return;
  }
  std::istringstream lines(*out);
  std::string header, line;
  std::getline(lines, header);
  if (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string fs, total, used, avail, pct;
    f >> fs >> total >> used >> avail >> pct;
    h->facts["disk_avail_kb"] = avail;
    if (!pct.empty() && pct.back() == '%')
      pct.pop_back();
    h->facts["disk_used_pct"] = pct;
  }
}

core::Status ReadSql(const platform::InstanceHandle& handle, InstanceHealth* h) {
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(handle));
  HS_ASSIGN_OR_RETURN(SqlRows base,
                      conn->Query("SELECT pg_is_in_recovery() AS in_recovery, "
                                  "(SELECT timeline_id FROM pg_control_checkpoint()) AS timeline"));
  bool standby = base.GetOr(0, "in_recovery") == "t";
  h->facts["timeline"] = base.GetOr(0, "timeline");
  h->role = standby ? InstanceRole::kStandby : InstanceRole::kPrimary;
  h->writable = !standby;
  h->state = InstanceState::kHealthy;
  if (!standby) {
    HS_ASSIGN_OR_RETURN(SqlRows reps,
                        conn->Query("SELECT application_name, state, "
                                    "coalesce(extract(epoch FROM replay_lag), 0)::float8 AS lag "
                                    "FROM pg_stat_replication ORDER BY application_name"));
    std::string list;
    for (size_t r = 0; r < reps.size(); ++r) {
      list += (list.empty() ? "" : ",") + reps.GetOr(r, "application_name") + ":" +
              reps.GetOr(r, "state");
    }
    h->facts["streaming_standbys"] = std::to_string(reps.size());
    h->facts["replication"] = list;
    HS_ASSIGN_OR_RETURN(SqlRows pos,
                        conn->Query("SELECT pg_current_wal_lsn()::text AS lsn, "
                                    "pg_walfile_name(pg_current_wal_lsn()) AS walfile"));
    h->facts["wal_lsn"] = pos.GetOr(0, "lsn");
    h->facts["sql_timeline"] =
        std::to_string(std::strtoul(pos.GetOr(0, "walfile").substr(0, 8).c_str(), nullptr, 16));
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(
      SqlRows rx,
      conn->Query("SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'none') AS status, "
                  "pg_last_wal_replay_lsn()::text AS replay_lsn, "
                  "coalesce(pg_last_wal_receive_lsn()::text, '') AS receive_lsn, "
                  "coalesce((SELECT received_tli FROM pg_stat_wal_receiver), 0) AS received_tli, "
                  "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE "
                  "coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) "
                  "END::float8 AS lag"));
  h->facts["wal_receiver_status"] = rx.GetOr(0, "status");
  h->facts["replay_lsn"] = rx.GetOr(0, "replay_lsn");
  h->facts["receive_lsn"] = rx.GetOr(0, "receive_lsn");
  h->facts["sql_timeline"] = rx.GetOr(0, "received_tli");
  h->facts["replay_lag_seconds"] = rx.GetOr(0, "lag", "0");
  if (h->facts["wal_receiver_status"] != "streaming" ||
      std::atof(h->facts["replay_lag_seconds"].c_str()) > kMaxHealthyReplayLagSeconds) {
    h->state = InstanceState::kDegraded;
  }
  return core::Status::Ok();
}

// The instance's timeline lineage (see triage_timeline.h): its timeline (the highest of what SQL,
// pg_control and the history files in pg_wal say), its position (live WAL position when running,
// else the end of its WAL) and the history file of that timeline.
void ReadLineage(platform::InstanceHandle& handle, InstanceHealth* h) {
  unsigned long tli = std::max(std::strtoul(h->Fact("sql_timeline").c_str(), nullptr, 10),
                               std::strtoul(h->Fact("control_timeline").c_str(), nullptr, 10));
  if (!h->instance.data_dir.empty()) {
    auto files = RunOnInstance(
        handle, {"find", h->instance.data_dir + "/pg_wal", "-maxdepth", "1", "-name", "*.history"});
    if (files.ok()) {
      std::istringstream lines(*files);
      std::string f;
      while (std::getline(lines, f)) {
        auto slash = f.rfind('/');
        std::string base = f.substr(slash == std::string::npos ? 0 : slash + 1);
        if (base.size() == 16)
          tli = std::max(tli, std::strtoul(base.substr(0, 8).c_str(), nullptr, 16));
      }
    }
  }
  std::string lsn = h->Fact("wal_lsn");
  std::string source = "wal";
  if (h->state == InstanceState::kHealthy || h->state == InstanceState::kDegraded) {
    if (h->role == InstanceRole::kStandby) {
      auto rcv = ParseLsn(h->Fact("receive_lsn")), rep = ParseLsn(h->Fact("replay_lsn"));
      uint64_t best = std::max(rcv.value_or(0), rep.value_or(0));
      lsn = best == 0 ? "" : FormatLsn(best);
      source = "replay";
    }
  } else {
    ReadStoppedPosition(handle, h, tli, &lsn, &source);
  }
  if (tli == 0 || lsn.empty())
    return;
  h->facts["lineage_timeline"] = std::to_string(tli);
  h->facts["position_lsn"] = lsn;
  h->facts["position_source"] = source;
  if (tli > 1 && !h->instance.data_dir.empty()) {
    char name[32];
    std::snprintf(name, sizeof(name), "%08lX.history", tli);
    auto text = RunOnInstance(handle, {"cat", h->instance.data_dir + "/pg_wal/" + name});
    if (text.ok())
      h->facts["history"] = FormatHistory(ParseTimelineHistory(*text));
  }
}

}  // namespace

std::map<std::string, std::string> ParseControlData(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    out[line.substr(0, colon)] = value;
  }
  return out;
}

Verdict PostgresVerdict(const std::vector<InstanceHealth>& instances,
                        std::vector<Finding>* findings) {
  Verdict v = Verdict::kHealthy;
  AddUnreadableFindings(instances, findings, &v);
  std::vector<const InstanceHealth*> primaries;
  for (const auto& i : instances) {
    if (i.writable && (i.state == InstanceState::kHealthy || i.state == InstanceState::kDegraded)) {
      primaries.push_back(&i);
    }
  }
  // Two writable instances both accept commits the other never sees: their histories diverge
  // with every write, so this is split-brain even if no write happened yet.
  if (primaries.size() > 1) {
    std::string names;
    for (const auto* p : primaries)
      names += (names.empty() ? "'" : ", '") + p->instance.name + "'";
    findings->push_back({Severity::kCritical, "", "more than one writable primary: " + names});
    Raise(&v, Verdict::kSplitBrain);
  } else if (primaries.empty()) {
    findings->push_back({Severity::kCritical, "", "no writable primary"});
    Raise(&v, Verdict::kDegraded);
  }
  AddTimelineFindings(instances, findings, &v);
  if (primaries.size() == 1) {
    // The primary's current timeline is its WAL's: its last checkpoint's may still be the one
    // before its promotion (no checkpoint since), older than a standby's latest restartpoint.
    std::string current = primaries[0]->Fact("sql_timeline");
    long primary_tl =
        std::atol((current.empty() ? primaries[0]->Fact("timeline") : current).c_str());
    for (const auto& i : instances) {
      long tl = std::atol(i.Fact("timeline").c_str());
      // A standby on a later timeline was promoted at some point and then demoted: it holds
      // a history the primary never had (a forked timeline), not merely older data.
      if (i.role == InstanceRole::kStandby && tl > primary_tl && primary_tl > 0) {
        findings->push_back({Severity::kCritical, i.instance.name,
                             "standby is on timeline " + std::to_string(tl) +
                                 ", ahead of the primary's " + std::to_string(primary_tl) +
                                 ": the timelines have forked"});
        Raise(&v, Verdict::kSplitBrain);
      }
    }
  }
  for (const auto& i : instances) {
    // A fence left by failover (or by an interrupted switchover) keeps the instance read-only;
    // it is named apart from "stopped" or "lagging" because only `repair` may lift it: the old
    // primary may hold commits the new one lacks.
    std::string fence = i.Fact("hasteward_fence");
    if (!fence.empty()) {
      findings->push_back({Severity::kWarning, i.instance.name, "fenced by hasteward: " + fence});
      Raise(&v, Verdict::kDegraded);
    }
    if (i.state == InstanceState::kDegraded) {
      std::string why = i.role == InstanceRole::kStandby
                            ? "standby not streaming or lagging (wal receiver '" +
                                  i.Fact("wal_receiver_status") + "', replay lag " +
                                  i.Fact("replay_lag_seconds") + " s)"
                            : "instance degraded";
      findings->push_back({Severity::kWarning, i.instance.name, why});
      Raise(&v, Verdict::kDegraded);
    }
    std::string pct = i.Fact("disk_used_pct");
    if (!pct.empty() && std::atoi(pct.c_str()) > kMaxDiskUsedPercent) {
      findings->push_back(
          {Severity::kWarning, i.instance.name, "data directory disk is " + pct + "% full"});
      Raise(&v, Verdict::kDegraded);
    }
  }
  return v;
}

core::Result<TriageReport> TriagePostgres(platform::Platform& platform,
                                          const platform::Cluster& cluster) {
  const core::Clock& clock = core::SystemClock::Get();
  auto start = clock.Monotonic();
  TriageReport report;
  report.cluster = cluster.name;
  report.ns = cluster.ns;
  report.engine = cluster.engine;
  for (const auto& inst : cluster.instances) {
    InstanceHealth h;
    h.instance = inst;
    // One handle per instance: every read below (SQL, pg_controldata, df, pg_waldump, the fence
    // marker) goes through it.
    auto opened = platform.OpenInstance(cluster, inst);
    if (!opened.ok()) {
      h.state = InstanceState::kUnknown;
      h.role = InstanceRole::kUnknown;
      h.error = opened.status().message();
      report.instances.push_back(std::move(h));
      continue;
    }
    platform::InstanceHandle& handle = **opened;
    auto running = handle.IsRunning();
    ReadControlData(handle, &h);
    ReadDiskUse(handle, &h);
    if (running.ok() && !*running) {
      h.state = InstanceState::kStopped;
    } else {
      core::Status st = ReadSql(handle, &h);
      if (!st.ok()) {
        h.state = InstanceState::kUnknown;
        h.role = InstanceRole::kUnknown;
        h.writable = false;
        h.error = st.message();
      }
    }
    ReadLineage(handle, &h);
    if (auto fence = ReadFence(handle))
      h.facts["hasteward_fence"] = *fence;
    report.instances.push_back(std::move(h));
  }
  report.verdict = PostgresVerdict(report.instances, &report.findings);
  report.took = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Monotonic() - start);
  return report;
}

}  // namespace hasteward::engine::postgres
