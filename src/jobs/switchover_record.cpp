#include "jobs/switchover_record.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/temp_dir.h"

namespace hasteward::jobs {

namespace {

std::string RecordDir(const std::string& state_dir) {
  return state_dir + "/switchovers";
}

}  // namespace

SwitchoverRecord MakeSwitchoverRecord(const engine::ClusterHandle& target,
                                      const SwitchoverJobResult& result, int64_t finished_at) {
  const engine::SwitchoverReport& report = result.report;
  SwitchoverRecord record;
  record.ns = target.cluster().ns;
  record.cluster = target.cluster().name;
  record.engine = platform::EngineKindName(target.cluster().engine);
  record.kind = SwitchoverKindName(result.kind);
  record.finished_at = finished_at;
  record.duration_seconds = static_cast<double>(report.total.count()) / 1000.0;
  record.ok = report.status.ok();
  record.old_primary = report.plan.old_primary.name;
  // promoted_at is set once the candidate was promoted, whether or not a later step failed: the
  // record names the primary the cluster really has.
  if (!report.promoted_at.empty())
    record.new_primary = report.plan.candidate.name;
  if (report.failed_step)
    record.failed_step = engine::SwitchoverStepName(*report.failed_step);
  if (!record.ok)
    record.error = report.status.message();
  return record;
}

std::string EncodeSwitchoverRecord(const SwitchoverRecord& record) {
  nlohmann::ordered_json j;
  j["namespace"] = record.ns;
  j["cluster"] = record.cluster;
  j["engine"] = record.engine;
  j["kind"] = record.kind;
  j["finished_at"] = record.finished_at;
  j["duration_seconds"] = record.duration_seconds;
  j["ok"] = record.ok;
  j["failed_step"] = record.failed_step;
  j["old_primary"] = record.old_primary;
  j["new_primary"] = record.new_primary;
  j["error"] = record.error;
  return j.dump(2) + "\n";
}

core::Result<SwitchoverRecord> DecodeSwitchoverRecord(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return core::Corruption("switchover record is not a JSON object");
  SwitchoverRecord record;
  try {
    record.ns = j.at("namespace").get<std::string>();
    record.cluster = j.at("cluster").get<std::string>();
    record.engine = j.value("engine", "");
    record.kind = j.value("kind", "switchover");
    record.finished_at = j.at("finished_at").get<int64_t>();
    record.duration_seconds = j.at("duration_seconds").get<double>();
    record.ok = j.at("ok").get<bool>();
    record.failed_step = j.value("failed_step", "");
    record.old_primary = j.value("old_primary", "");
    record.new_primary = j.value("new_primary", "");
    record.error = j.value("error", "");
  } catch (const nlohmann::json::exception& e) {
    return core::Corruption(std::string("switchover record: ") + e.what());
  }
  return record;
}

core::Status SaveSwitchoverRecord(const std::string& state_dir, const SwitchoverRecord& record) {
  std::string dir = RecordDir(state_dir) + "/" + record.ns;
  HS_TRY(core::MakeDirs(dir, 0700));
  return core::WriteFileAtomically(dir + "/" + record.cluster + ".json",
                                   core::AsBytes(EncodeSwitchoverRecord(record)))
      .Wrap("record the switchover");
}

std::vector<SwitchoverRecord> LoadSwitchoverRecords(const std::string& state_dir) {
  std::vector<SwitchoverRecord> out;
  std::error_code ec;
  std::filesystem::path root = RecordDir(state_dir);
  if (!std::filesystem::exists(root, ec))
    return out;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    // Only committed records: a writer's temp file is "<cluster>.json.tmp-<random>".
    if (!it->is_regular_file() || it->path().extension() != ".json")
      continue;
    auto text = core::ReadFileToString(it->path().string());
    auto record =
        text.ok() ? DecodeSwitchoverRecord(*text) : core::Result<SwitchoverRecord>(text.status());
    if (!record.ok()) {
      core::LogWarn("switchover record skipped",
                    {{"file", it->path().string()}, {"error", record.status().message()}});
      continue;
    }
    out.push_back(std::move(*record));
  }
  std::sort(out.begin(), out.end(), [](const SwitchoverRecord& a, const SwitchoverRecord& b) {
    return std::tie(a.ns, a.cluster) < std::tie(b.ns, b.cluster);
  });
  return out;
}

}  // namespace hasteward::jobs
