#include "jobs/repair_job.h"

#include <ctime>

#include "core/log.h"
#include "jobs/triage_job.h"
#include "repo/crypto/crypto.h"

namespace hasteward::jobs {

namespace {

void Log(const engine::HealOptions& o, const std::string& line) {
  core::LogInfo(line);
  if (o.log)
    o.log(line);
}

const engine::InstanceHealth* Find(const engine::TriageReport& r, const platform::Instance& i) {
  int n = engine::FindInstanceHealth(r, i.name);
  return n < 0 ? nullptr : &r.instances[static_cast<size_t>(n)];
}

// The instance as triage saw it before the repair; an instance triage did not place is dumped
// as a primary.
CaptureSource SourceBefore(const RepairJobResult& result, const platform::Instance& instance) {
  const auto* h = Find(result.before, instance);
  return {.instance = instance, .role = h ? h->role : engine::InstanceRole::kPrimary};
}

core::Status Escrow(const engine::ClusterHandle& target, const RepairJobOptions& o,
                    const CaptureSource& source, RepairJobResult* result) {
  ClusterBackupOptions bo;
  bo.type = repo::SnapshotType::kBackup;
  bo.job_start = o.job_start;
  auto r = BackupInstance(target, *o.repo, source, bo);
  if (!r.ok()) {
    return r.TakeStatus().Wrap("escrow backup before repair (nothing was changed)");
  }
  result->escrow_snapshot = repo::IdToHex(r->summary.snapshot_id);
  Log(o.heal, "escrow: snapshot " + result->escrow_snapshot.substr(0, 8) + " (type=backup) of '" +
                  source.instance.name + "' at " + r->path);
  return core::Status::Ok();
}

core::Status CaptureDiverged(const engine::ClusterHandle& target, const RepairJobOptions& o,
                             RepairJobResult* result) {
  ClusterBackupOptions bo;
  bo.type = repo::SnapshotType::kDiverged;
  bo.job = o.heal.stamp;
  bo.job_start = o.job_start;
  for (const auto& inst : result->plan.diverged) {
    bo.ordinal_prefix = inst.ordinal;
    auto r = BackupInstance(target, *o.repo, SourceBefore(*result, inst), bo);
    if (!r.ok()) {
      return r.TakeStatus().Wrap("diverged capture (nothing was healed)");
    }
    std::string id = repo::IdToHex(r->summary.snapshot_id);
    result->diverged_snapshots.push_back(id + " " + r->path);
    Log(o.heal, "diverged: snapshot " + id.substr(0, 8) + " (type=diverged, job=" + bo.job +
                    ") of '" + inst.name + "' at " + r->path);
  }
  return core::Status::Ok();
}

// Re-reads the cluster and re-applies the authority rule right before a destructive step.
core::Status Recheck(const engine::ClusterHandle& target, const RepairJobOptions& o,
                     const RepairJobResult& result, const platform::Instance& healed) {
  engine::Engine& engine = target.engine();
  HS_ASSIGN_OR_RETURN(auto fresh, engine.Triage(target.platform(), target.cluster()));
  const auto* t = Find(fresh, healed);
  const auto* d = result.plan.donor ? Find(fresh, *result.plan.donor) : nullptr;
  if (t == nullptr || d == nullptr)
    return core::Internal("instance vanished from triage");
  if (d->state != engine::InstanceState::kHealthy && d->state != engine::InstanceState::kDegraded) {
    return core::Status(core::ErrorCode::kNoDonor,
                        "ABORT: donor '" + d->instance.name + "' is no longer readable (" +
                            engine::InstanceStateName(d->state) + ")",
                        "bring it back and run the repair again");
  }
  std::string why = engine.AuthorityObjection(*t, *d, result.plan.split_brain && o.request.force);
  if (!why.empty()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "refusing to heal '" + healed.name + "': " + why,
                        "never re-clone the instance holding the newest data; back it up, make it "
                        "the primary, then heal the others from it. When each side holds "
                        "transactions the other lacks (a failed-over old primary), `hasteward "
                        "triage` now says split-brain and `hasteward repair --force` rejoins it, "
                        "keeping what it replaces");
  }
  return core::Status::Ok();
}

// Whether a type=diverged snapshot holds what `instance` had before the repair.
bool Captured(const RepairJobOptions& o, const RepairJobResult& result,
              const platform::Instance& instance) {
  if (o.no_escrow)
    return false;
  for (const auto& d : result.plan.diverged) {
    if (d.name == instance.name)
      return true;
  }
  return false;
}

// During a split-brain, a side no snapshot captured (it was stopped, as a failover's fenced old
// primary is, or --no-escrow was given) keeps its replaced data directory: --force consented to
// healing it, not to losing the commits only it holds.
engine::HealOptions HealOptionsFor(const RepairJobOptions& o, const RepairJobResult& result,
                                   const platform::Instance& instance) {
  engine::HealOptions heal = o.heal;
  if (result.plan.split_brain && !Captured(o, result, instance)) {
    heal.keep_replaced = true;
    heal.only_copy_of_diverged_writes = true;
    Log(o.heal,
        "'" + instance.name +
            "' diverged and no snapshot captured it: what the heal replaces is kept (an engine "
            "that cannot keep it refuses)");
  }
  return heal;
}

core::Status HealOne(const engine::ClusterHandle& target, const RepairJobOptions& o,
                     const RepairJobResult& result, const engine::HealStep& step) {
  const platform::Instance& donor = *result.plan.donor;
  Log(o.heal, "healing '" + step.target.name + "' (" + step.reason + ") from '" + donor.name + "'");
  engine::Engine& engine = target.engine();
  const engine::HealOptions heal = HealOptionsFor(o, result, step.target);
  HS_TRY(engine.PrepareToHeal(target.platform(), target.cluster(), step.target, heal));
  HS_TRY(Recheck(target, o, result, step.target));
  return engine.HealInstance(target.platform(), target.cluster(), step.target, donor, heal);
}

// Whole-cluster recovery (the plan chose a bootstrap instance): stop whatever still runs, start
// the bootstrap instance as a new cluster, back it up, then rejoin the others to it.
core::Status RecoverWholeCluster(const engine::ClusterHandle& target, const RepairJobOptions& o,
                                 RepairJobResult* result) {
  platform::Platform& platform = target.platform();
  const platform::Cluster& cluster = target.cluster();
  engine::Engine& engine = target.engine();
  const platform::Instance& node = *result->plan.bootstrap;
  const auto* h = Find(result->before, node);
  if (h == nullptr)
    return core::Internal("bootstrap node vanished from triage");
  for (const auto& other : result->before.instances) {  // nothing may run while we bootstrap
    HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, other.instance));
    if (running && other.instance.name != node.name) {
      HS_TRY(platform.StopInstanceWithin(cluster, other.instance, o.heal.delete_timeout)
                 .Wrap("stop '" + other.instance.name + "'"));
      Log(o.heal, "stopped '" + other.instance.name + "' (not in a Primary component)");
    }
  }
  HS_TRY(engine.BootstrapInstance(platform, cluster, *h, o.heal));
  result->healed.push_back(node.name);
  if (!o.no_escrow) {
    HS_TRY(Escrow(target, o, {.instance = node, .role = h->role}, result)
               .WithHint("the cluster runs on '" + node.name +
                         "' only; back it up, then run "
                         "repair again to rejoin the other nodes"));
  }
  for (const auto& step : result->plan.heals) {
    Log(o.heal, "rejoining '" + step.target.name + "' (" + step.reason + ")");
    HS_TRY(engine.RejoinInstance(platform, cluster, step.target, o.heal));
    result->healed.push_back(step.target.name);
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<RepairJobResult> RepairCluster(const engine::ClusterHandle& target,
                                            const RepairJobOptions& o) {
  RepairJobResult result;
  result.dry_run = o.dry_run;
  HS_ASSIGN_OR_RETURN(result.before, TriageAndRecord(target, o.state_dir));
  auto plan = engine::PlanRepair(target.engine(), result.before, o.request);
  if (!plan.ok())
    return plan.TakeStatus();
  result.plan = std::move(plan).value();
  for (const auto& line : engine::DescribeRepairPlan(result.plan))
    Log(o.heal, "plan: " + line);
  if (o.dry_run || result.plan.empty()) {
    result.after = result.before;
    return result;
  }
  if (o.no_escrow) {
    core::LogWarn(
        "--no-escrow: healing without a pre-repair backup" +
        std::string(result.plan.diverged.empty() ? "" : " and without diverged captures"));
    if (o.heal.log)
      o.heal.log("WARNING: --no-escrow: no escrow backup, no diverged captures");
  } else if (o.repo == nullptr) {
    return core::Usage("repair needs a repository for the escrow backup",
                       "pass --backups-path (or --no-escrow to heal without a backup)");
  }
  if (result.plan.bootstrap) {
    HS_TRY(RecoverWholeCluster(target, o, &result));
  } else {
    if (!o.no_escrow) {
      HS_TRY(Escrow(target, o, SourceBefore(result, *result.plan.donor), &result));
      if (!result.plan.diverged.empty())
        HS_TRY(CaptureDiverged(target, o, &result));
    }
    for (const auto& step : result.plan.heals) {
      HS_TRY(HealOne(target, o, result, step));
      result.healed.push_back(step.target.name);
    }
  }
  HS_ASSIGN_OR_RETURN(result.after, TriageAndRecord(target, o.state_dir));
  Log(o.heal, std::string("re-triage: ") + engine::VerdictName(result.after.verdict));
  return result;
}

}  // namespace hasteward::jobs
