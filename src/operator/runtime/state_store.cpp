#include "operator/runtime/state_store.h"

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/temp_dir.h"

namespace hasteward::op {

const char* JobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kBackup: return "backup";
    case JobKind::kVerify: return "verify";
    case JobKind::kTriage: return "triage";
    case JobKind::kRepair: return "repair";
  }
  return "unknown";
}

const char* RepairResultName(RepairResult result) {
  switch (result) {
    case RepairResult::kHealed: return "healed";
    case RepairResult::kRefused: return "refused";
    case RepairResult::kFailed: return "failed";
  }
  return "failed";
}

std::string JobKey(const std::string& cluster_key, JobKind kind) {
  return cluster_key + "/" + JobKindName(kind);
}

std::string EncodeState(const ServeState& s) {
  nlohmann::ordered_json j;
  j["first_start"] = s.first_start;
  j["clock_now"] = s.clock_now;
  j["job_errors"] = s.job_errors;
  j["retention_removed"] = s.retention_removed;
  j["repairs"] = s.repairs;
  auto jobs = nlohmann::ordered_json::object();
  for (const auto& [k, r] : s.jobs) {
    jobs[k] = {{"last_run", r.last_run},
               {"last_finish", r.last_finish},
               {"last_success", r.last_success},
               {"ok", r.ok},
               {"duration_seconds", r.duration_seconds},
               {"size_bytes", r.size_bytes},
               {"snapshot_id", r.snapshot_id},
               {"outcome", r.outcome},
               {"error", r.error},
               {"runs", r.runs}};
  }
  j["jobs"] = jobs;
  return j.dump(2) + "\n";
}

core::Result<ServeState> DecodeState(const std::string& json) {
  try {
    auto j = nlohmann::json::parse(json);
    ServeState s;
    s.first_start = j.value("first_start", int64_t{0});
    s.clock_now = j.value("clock_now", int64_t{0});
    s.job_errors = j.value("job_errors", std::map<std::string, int64_t>{});
    s.retention_removed = j.value("retention_removed", std::map<std::string, int64_t>{});
    s.repairs = j.value("repairs", std::map<std::string, std::map<std::string, int64_t>>{});
    const nlohmann::json jobs = j.value("jobs", nlohmann::json::object());
    for (const auto& [k, v] : jobs.items()) {
      JobRecord r;
      r.last_run = v.value("last_run", int64_t{0});
      r.last_finish = v.value("last_finish", int64_t{0});
      r.last_success = v.value("last_success", int64_t{0});
      r.ok = v.value("ok", false);
      r.duration_seconds = v.value("duration_seconds", 0.0);
      r.size_bytes = v.value("size_bytes", uint64_t{0});
      r.snapshot_id = v.value("snapshot_id", "");
      r.outcome = v.value("outcome", "");
      r.error = v.value("error", "");
      r.runs = v.value("runs", int64_t{0});
      s.jobs[k] = r;
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    return core::Corruption(std::string("serve state file is not valid JSON: ") + e.what());
  }
}

core::Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path) {
  std::unique_ptr<StateStore> s(new StateStore(path));
  auto text = core::ReadFileToString(path);
  if (text.ok()) {
    auto st = DecodeState(*text);
    if (!st.ok())
      return st.TakeStatus().Wrap("state file '" + path + "'");
    s->state_ = std::move(st).value();
  }
  return s;
}

ServeState StateStore::Snapshot() const {
  std::lock_guard<std::mutex> l(mu_);
  return state_;
}

core::Status StateStore::Update(const std::function<void(ServeState&)>& fn) {
  std::lock_guard<std::mutex> l(mu_);
  fn(state_);
  return SaveLocked();
}

core::Status StateStore::SaveLocked() const {
  core::AtomicFileOptions opts;
  opts.parent_dir_mode = 0755;
  return core::WriteFileAtomically(path_, core::AsBytes(EncodeState(state_)), opts)
      .Wrap("save state file '" + path_ + "'");
}

}  // namespace hasteward::op
