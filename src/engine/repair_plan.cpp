#include "engine/galera/triage_recover.h"
#include "engine/mariadb/triage.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/repair.h"

namespace hasteward::engine {

namespace {

bool Readable(const InstanceHealth& h) {
  return h.state == InstanceState::kHealthy || h.state == InstanceState::kDegraded;
}

std::string Q(const InstanceHealth& h) {
  return "'" + h.instance.name + "'";
}

// The instance data is cloned from: the single writable primary (several writable: the one the
// inventory labels primary); Galera: the lowest-ordinal Synced node. -1 when there is none.
int ChooseDonor(const TriageReport& r, std::string* why) {
  std::vector<int> candidates;
  for (size_t n = 0; n < r.instances.size(); ++n) {
    const auto& h = r.instances[n];
    if (!Readable(h))
      continue;
    bool ok = r.engine == platform::EngineKind::kGalera ? h.state == InstanceState::kHealthy
                                                        : h.writable && h.role == InstanceRole::kPrimary;
    if (ok)
      candidates.push_back(static_cast<int>(n));
  }
  if (candidates.size() == 1 ||
      (r.engine == platform::EngineKind::kGalera && !candidates.empty())) {
    return candidates[0];
  }
  if (candidates.empty()) {
    *why = r.engine == platform::EngineKind::kGalera ? "no node is Synced in a Primary component"
                                                     : "no writable primary answers";
    return -1;
  }
  std::vector<int> labelled;
  for (int c : candidates) {
    auto it = r.instances[static_cast<size_t>(c)].instance.labels.find("role");
    if (it != r.instances[static_cast<size_t>(c)].instance.labels.end() &&
        it->second == "primary") {
      labelled.push_back(c);
    }
  }
  if (labelled.size() == 1)
    return labelled[0];
  *why = std::to_string(candidates.size()) +
         " instances are writable and the inventory does not name one primary";
  return -1;
}

std::string PostgresObjection(const InstanceHealth& t, const InstanceHealth& d, bool forced) {
  auto lt = postgres::LineageFromFacts(t), ld = postgres::LineageFromFacts(d);
  if (!lt.known()) {
    if (t.Fact("data_dir_state") == "missing")
      return "";
    return "the position of " + Q(t) + " could not be read (UNKNOWN" +
           (t.Fact("controldata_error").empty() ? "" : ": " + t.Fact("controldata_error")) +
           "); it may hold the most advanced data";
  }
  if (Readable(t) && t.Fact("wal_receiver_status") == "streaming" && lt.timeline == ld.timeline) {
    return "";  // it is receiving from the primary: it cannot hold anything the primary lacks
  }
  switch (postgres::CompareLineage(lt, ld)) {
    case postgres::LineageRelation::kAhead:
      return Q(t) + " (timeline " + std::to_string(lt.timeline) + " at " +
             postgres::FormatLsn(lt.lsn) + ") holds WAL the primary " + Q(d) +
             " lacks: it is the authority, not the primary";
    case postgres::LineageRelation::kForked:
      return forced ? "" : Q(t) + " has diverged from the primary " + Q(d);
    case postgres::LineageRelation::kUnknown: return "the primary's position could not be read";
    default: return "";
  }
}

std::string MariadbObjection(const InstanceHealth& t, const InstanceHealth& d, bool forced) {
  if (t.state == InstanceState::kStopped)
    return "";  // started and re-checked before healing
  if (!Readable(t))
    return "the position of " + Q(t) + " could not be read (UNKNOWN)";
  std::string mine = t.Fact("gtid_current_pos"), theirs = d.Fact("gtid_binlog_pos");
  std::string extra = mariadb::ErrantGtids(mine, theirs);
  if (extra.empty()) {
    extra = mariadb::LocalGtids(t.Fact("gtid_binlog_pos"), t.Fact("gtid_slave_pos"),
                                t.Fact("server_id"));
  }
  if (extra.empty())
    return "";
  if (mariadb::ErrantGtids(theirs, mine).empty()) {
    return Q(t) + " holds every transaction of the primary " + Q(d) + " and more (" + extra +
           "): it is the authority, not the primary";
  }
  return forced ? "" : Q(t) + " holds transactions the primary lacks (" + extra + ")";
}

std::string GaleraObjection(const InstanceHealth& t, const InstanceHealth& d, bool forced) {
  auto pt = galera::PositionFromFacts(t), pd = galera::PositionFromFacts(d);
  if (!pt.valid()) {
    return "the committed position of " + Q(t) +
           " could not be read (UNKNOWN: " + t.Fact("position_error") +
           "); it may hold the most advanced data";
  }
  if (!pd.valid())
    return "the donor's position could not be read";
  if (pt.uuid != pd.uuid) {
    return forced ? "" : Q(t) + " belongs to another cluster history (UUID " + pt.uuid + ")";
  }
  if (pt.seqno > pd.seqno) {
    return Q(t) + " has committed seqno " + std::to_string(pt.seqno) + ", ahead of the cluster's " +
           std::to_string(pd.seqno) + ": it is the authority";
  }
  return "";
}

// Whole-cluster-down Galera: every node's position must be known and share one UUID; the
// bootstrap node is the highest seqno (ties: safe_to_bootstrap=1, then the lowest ordinal).
core::Status PlanBootstrap(const TriageReport& r, RepairPlan* plan) {
  int best = -1;
  long long best_seqno = -1;
  std::string uuid;
  for (size_t n = 0; n < r.instances.size(); ++n) {
    const auto& h = r.instances[n];
    auto p = galera::PositionFromFacts(h);
    if (!p.valid()) {
      return core::Status(core::ErrorCode::kSafetyStop,
                          "refusing to bootstrap: the committed position of " + Q(h) +
                              " is UNKNOWN (" + h.Fact("position_error") +
                              "); it may be the most advanced node",
                          "make the node's data directory readable (or its wsrep-recover succeed) "
                          "and run 'hasteward triage' again; never bootstrap blind");
    }
    if (!uuid.empty() && p.uuid != uuid) {
      return core::Status(core::ErrorCode::kSplitBrain,
                          "refusing to bootstrap: nodes hold different cluster UUIDs (" + uuid +
                              ", " + p.uuid + ")",
                          "decide which history survives; back up each node first");
    }
    uuid = p.uuid;
    bool better = p.seqno > best_seqno ||
                  (p.seqno == best_seqno && h.Fact("grastate_safe_to_bootstrap") == "1");
    if (better) {
      best = static_cast<int>(n);
      best_seqno = p.seqno;
    }
  }
  if (best < 0)
    return core::NotFound("cluster '" + r.cluster + "' has no nodes");
  const auto& b = r.instances[static_cast<size_t>(best)];
  plan->bootstrap = b.instance;
  plan->notes.push_back("bootstrap from " + Q(b) + ": highest committed seqno " +
                        std::to_string(best_seqno) + " of cluster " + uuid);
  for (const auto& h : r.instances) {
    if (&h == &b)
      continue;
    plan->heals.push_back(
        {h.instance, "rejoin the bootstrapped cluster (seqno " + h.Fact("position_seqno") + ")"});
  }
  return core::Status::Ok();
}

bool WholeGaleraClusterDown(const TriageReport& r) {
  for (const auto& h : r.instances) {
    if (Readable(h) && h.Fact("wsrep_cluster_status") == "Primary")
      return false;
  }
  return true;
}

}  // namespace

std::string AuthorityObjection(const TriageReport& report, const InstanceHealth& target,
                               const InstanceHealth& donor, bool split_brain_forced) {
  switch (report.engine) {
    case platform::EngineKind::kPostgres:
      return PostgresObjection(target, donor, split_brain_forced);
    case platform::EngineKind::kMariadb: return MariadbObjection(target, donor, split_brain_forced);
    case platform::EngineKind::kGalera: return GaleraObjection(target, donor, split_brain_forced);
  }
  return "unknown engine";
}

core::Result<RepairPlan> PlanRepair(const TriageReport& r, const RepairRequest& req) {
  RepairPlan plan;
  plan.split_brain = r.verdict == Verdict::kSplitBrain;
  const std::string cluster = "'" + r.ns + "/" + r.cluster + "'";
  if (plan.split_brain && !req.target) {
    return core::Status(core::ErrorCode::kSplitBrain,
                        "HARD STOP: cluster " + cluster +
                            " is split-brain; untargeted repair never runs during a split-brain "
                            "(no override)",
                        "inspect with 'hasteward triage'; to heal one diverged instance name it "
                        "with -i N --force (each diverged instance is captured first)");
  }
  if (plan.split_brain && !req.force) {
    return core::Status(core::ErrorCode::kSplitBrain,
                        "cluster " + cluster + " is split-brain; targeted repair refuses",
                        "review 'hasteward triage', then pass --force to capture every diverged "
                        "instance (type=diverged) and heal the target");
  }
  std::string no_donor;
  int donor = ChooseDonor(r, &no_donor);
  if (donor >= 0)
    plan.donor = r.instances[static_cast<size_t>(donor)].instance;
  if (plan.split_brain) {
    for (const auto& h : r.instances) {
      if (Readable(h))
        plan.diverged.push_back(h.instance);
    }
  }
  auto abort_no_donor = [&] {
    return core::Status(core::ErrorCode::kNoDonor,
                        "ABORT: no healthy donor in cluster " + cluster + ": " + no_donor,
                        "bring the primary (or a synced node) back first; 'hasteward triage' "
                        "shows every instance");
  };
  if (r.engine == platform::EngineKind::kGalera && donor < 0 && WholeGaleraClusterDown(r)) {
    if (req.target) {
      return abort_no_donor().WithHint(
          "the whole cluster is down: run repair "
          "without -i to recover it from the most "
          "advanced node");
    }
    HS_TRY(PlanBootstrap(r, &plan));
    return plan;
  }
  auto check = [&](const InstanceHealth& t) -> core::Status {
    if (donor < 0)
      return abort_no_donor();
    std::string why = AuthorityObjection(r, t, r.instances[static_cast<size_t>(donor)],
                                         plan.split_brain && req.force);
    if (why.empty())
      return core::Status::Ok();
    return core::Status(core::ErrorCode::kSafetyStop, "refusing to heal " + Q(t) + ": " + why,
                        "never re-clone the instance holding the newest data; back it up "
                        "('hasteward backup'), make it the primary, then heal the others from it");
  };
  if (req.target) {
    int idx = -1;
    for (size_t n = 0; n < r.instances.size(); ++n) {
      if (r.instances[n].instance.ordinal == *req.target)
        idx = static_cast<int>(n);
    }
    if (idx < 0) {
      return core::NotFound(
          "cluster " + cluster + " has no instance " + std::to_string(*req.target),
          "'hasteward triage' lists the instances and their ordinals");
    }
    const auto& t = r.instances[static_cast<size_t>(idx)];
    if (idx == donor || (donor < 0 && t.role == InstanceRole::kPrimary && t.writable)) {
      return core::Status(core::ErrorCode::kSafetyStop,
                          "HARD STOP: " + Q(t) +
                              " is the primary; repair never heals the "
                              "primary (no override)",
                          "heal the replicas, or switch the primary over first");
    }
    if (t.state == InstanceState::kHealthy && !req.force) {
      plan.skipped.push_back(Q(t) + ": healthy, skipped (pass --force to re-clone it anyway)");
      return plan;
    }
    if (t.state == InstanceState::kUnknown) {
      return core::Status(core::ErrorCode::kSafetyStop,
                          "refusing to heal " + Q(t) + ": its state is UNKNOWN (" + t.error + ")",
                          "find out why it cannot be read; it may hold the most advanced data");
    }
    HS_TRY(check(t));
    plan.heals.push_back({t.instance, t.state == InstanceState::kHealthy
                                          ? "forced re-clone of a healthy instance"
                                          : std::string(InstanceStateName(t.state))});
    return plan;
  }
  for (size_t n = 0; n < r.instances.size(); ++n) {
    const auto& t = r.instances[n];
    if (static_cast<int>(n) == donor)
      continue;
    if (t.state == InstanceState::kHealthy) {
      plan.skipped.push_back(Q(t) + ": healthy");
      continue;
    }
    if (t.state == InstanceState::kUnknown) {
      plan.skipped.push_back(Q(t) + ": state UNKNOWN (" + t.error + "), not healed");
      continue;
    }
    HS_TRY(check(t));
    plan.heals.push_back({t.instance, InstanceStateName(t.state)});
  }
  return plan;
}

std::vector<std::string> DescribeRepairPlan(const RepairPlan& plan) {
  std::vector<std::string> out;
  if (plan.donor)
    out.push_back("donor: '" + plan.donor->name + "'");
  if (plan.bootstrap)
    out.push_back("bootstrap: '" + plan.bootstrap->name + "' (--wsrep-new-cluster)");
  for (const auto& d : plan.diverged)
    out.push_back("capture diverged: '" + d.name + "'");
  for (const auto& h : plan.heals)
    out.push_back("heal: '" + h.target.name + "' (" + h.reason + ")");
  for (const auto& s : plan.skipped)
    out.push_back("skip: " + s);
  for (const auto& n : plan.notes)
    out.push_back("note: " + n);
  if (plan.empty())
    out.push_back("nothing to heal");
  return out;
}

}  // namespace hasteward::engine
