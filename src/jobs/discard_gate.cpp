#include "jobs/discard_gate.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "engine/repair_exec.h"
#include "jobs/repair_job.h"
#include "repo/format/go_json.h"

namespace hasteward::jobs {

namespace {

// Prints "data" when the directory exists and holds anything, else "empty".
constexpr char kProbeData[] =
    "if [ -d \"$1\" ] && [ -n \"$(ls -A -- \"$1\" 2>/dev/null)\" ]; then echo data; "
    "else echo empty; fi";

void Log(const DiscardGateRequest& r, const std::string& line) {
  core::LogInfo(line);
  if (r.log)
    r.log(line);
}

core::Result<bool> HoldsData(const engine::ClusterHandle& target,
                             const platform::Instance& instance) {
  if (instance.data_dir.empty())
    return true;  // nothing says where its data is: it may hold some
  HS_ASSIGN_OR_RETURN(
      std::string out,
      engine::RunScript(target.platform(), target.cluster(), instance,
                        {.what = "look into the data directory of '" + instance.name + "'",
                         .text = kProbeData,
                         .args = {instance.data_dir}}));
  return out.rfind("empty", 0) != 0;
}

struct Objection {
  engine::InstanceHealth health;
  engine::HeldDataJudgement judgement;
};

std::string Describe(const std::vector<Objection>& objections) {
  std::string out;
  for (const auto& o : objections) {
    out += (out.empty() ? "" : "; ") + o.health.quoted_name() + " holds " + o.judgement.position +
           " (" + engine::HeldDataName(o.judgement.held) + ")";
  }
  return out;
}

// A running instance's data as a diverged snapshot, before the step replaces it.
core::Status Capture(const engine::ClusterHandle& target, repo::Repository& repo,
                     const DiscardGateRequest& request, const engine::InstanceHealth& held,
                     DiscardGateResult* result) {
  ClusterBackupOptions options;
  options.type = repo::SnapshotType::kDiverged;
  options.job = request.stamp;
  options.ordinal_prefix = held.instance.ordinal;
  options.job_start = repo::LocalTimeNow(core::SystemClock::Get());
  auto captured =
      BackupInstance(target, repo, {.instance = held.instance, .role = held.role}, options);
  if (!captured.ok()) {
    return captured.TakeStatus().Wrap("capture the data of " + held.quoted_name() +
                                      " before it is replaced (nothing was changed)");
  }
  std::string id = repo::IdToHex(captured->summary.snapshot_id);
  result->captured.push_back(id + " " + captured->path);
  Log(request, "kept: the data of " + held.quoted_name() + " as snapshot " + id.substr(0, 8) +
                   " (type=diverged, job=" + request.stamp + ") at " + captured->path);
  return core::Status::Ok();
}

}  // namespace

core::Result<DiscardGateResult> GateDiscard(const engine::ClusterHandle& target,
                                            engine::NativeBackup& native, repo::Repository& repo,
                                            const DiscardGateRequest& request) {
  engine::Engine& engine = target.engine();
  std::vector<platform::Instance> holding;
  std::vector<platform::Instance> replaced = request.recloned;
  if (!request.stays_stopped.name.empty())
    replaced.insert(replaced.begin(), request.stays_stopped);
  DiscardGateResult result;
  for (const auto& instance : replaced) {
    if (std::find(request.unfinished.begin(), request.unfinished.end(), instance.name) !=
        request.unfinished.end()) {
      Log(request, "replacing the unfinished restore a stopped run left on '" + instance.name +
                       "' (its data directory is kept)");
      result.keep_replaced = true;
      continue;
    }
    HS_ASSIGN_OR_RETURN(bool holds, HoldsData(target, instance));
    if (holds)
      holding.push_back(instance);
  }
  if (holding.empty())
    return result;  // nothing to lose: every data directory is missing or empty
  // A re-cloned instance's position may only be readable from its running server (MariaDB).
  engine::HealOptions prepare;
  prepare.log = request.log;
  for (const auto& instance : holding) {
    if (instance.name != request.stays_stopped.name)
      HS_TRY(engine.PrepareToHeal(target.platform(), target.cluster(), instance, prepare));
  }
  HS_ASSIGN_OR_RETURN(engine::TriageReport fresh,
                      engine.Triage(target.platform(), target.cluster()));
  std::vector<Objection> objections;
  for (const auto& instance : holding) {
    for (const auto& health : fresh.instances) {
      if (health.instance.name != instance.name)
        continue;
      engine::HeldDataJudgement judged = native.JudgeHeldData(health, request.reaches);
      if (judged.held == engine::HeldData::kNewer || judged.held == engine::HeldData::kUnknown)
        objections.push_back({health, std::move(judged)});
    }
  }
  if (objections.empty())
    return result;
  if (!request.confirm_rewind) {
    return core::Status(core::ErrorCode::kNewerData,
                        "refusing to replace data newer than " + request.reaches_text +
                            ", or of unknown position: " + Describe(objections),
                        "nothing was replaced. Restore a newer snapshot or point in time, or pass "
                        "--confirm-rewind to replace it anyway: running instances are first "
                        "captured as diverged snapshots, stopped ones' data directories are "
                        "moved aside and kept");
  }
  Log(request, "replacing data newer than " + request.reaches_text +
                   " (--confirm-rewind): " + Describe(objections));
  result.keep_replaced = true;
  for (const auto& o : objections) {
    if (o.health.readable())
      HS_TRY(Capture(target, repo, request, o.health, &result));
  }
  return result;
}

}  // namespace hasteward::jobs
