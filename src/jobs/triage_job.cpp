#include "jobs/triage_job.h"

#include <ctime>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/temp_dir.h"
#include "core/utc_time.h"
#include "engine/triage_json.h"
#include "jobs/instant_state.h"

namespace hasteward::jobs {

namespace {

std::string NowRfc3339() {
  return core::Rfc3339Utc(core::SystemClock::Get().NowUnixSeconds());
}

}  // namespace

core::Status RecordTriage(const std::string& state_dir, const engine::TriageReport& report) {
  std::string dir = state_dir + "/triage/" + report.ns;
  HS_TRY(core::MakeDirs(dir, 0700));
  auto j = engine::TriageReportToJson(report);
  j["recorded_at"] = NowRfc3339();
  std::string path = dir + "/" + report.cluster + ".json";
  return core::WriteFileAtomically(path, core::AsBytes(j.dump(2) + "\n"))
      .Wrap("record triage state");
}

namespace {

// An instance still served by an instant restore (jobs/instant_state.h) reads the snapshot
// through the restore command's FUSE mount: it depends on that process, so triage says so (fact
// "instant_restore" = the phase, a warning, a degraded verdict) until hydration ended.
void AddInstantRestoreFindings(engine::TriageReport& report) {
  for (auto& health : report.instances) {
    if (health.instance.data_dir.empty())
      continue;
    auto state = ReadInstantState(health.instance.data_dir);
    if (!state.ok() || !state->has_value())
      continue;
    const InstantState& instant = **state;
    health.facts["instant_restore"] = InstantPhaseName(instant.phase);
    report.findings.push_back(
        {engine::Severity::kWarning, health.instance.name,
         "'" + health.instance.name + "' runs on an instant restore of snapshot " +
             instant.snapshot_id.substr(0, 8) + " (" + InstantPhaseName(instant.phase) +
             "): it reads the snapshot through the restore command's mount until hydration "
             "ends; if that command is gone, rerun it to finish"});
    engine::Raise(&report.verdict, engine::Verdict::kDegraded);
  }
}

}  // namespace

core::Result<engine::TriageReport> TriageAndRecord(const engine::ClusterHandle& target,
                                                   const std::string& state_dir) {
  HS_ASSIGN_OR_RETURN(auto report, target.engine().Triage(target.platform(), target.cluster()));
  AddInstantRestoreFindings(report);
  if (!state_dir.empty()) {
    core::Status st = RecordTriage(state_dir, report);
    if (!st.ok())
      core::LogWarn("triage not recorded: " + st.message());
  }
  return report;
}

core::Result<std::vector<nlohmann::json>> LoadRecordedTriages(const std::string& state_dir) {
  std::vector<nlohmann::json> out;
  std::error_code ec;
  std::filesystem::path root = std::filesystem::path(state_dir) / "triage";
  if (!std::filesystem::exists(root, ec))
    return out;
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".json")
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    std::ifstream f(p);
    auto j = nlohmann::json::parse(f, nullptr, false);
    if (j.is_discarded()) {
      core::LogWarn("skipping unreadable triage state '" + p.string() + "'");
      continue;
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace hasteward::jobs
