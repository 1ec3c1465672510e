#include "verify/report.h"

#include <nlohmann/json.hpp>

namespace hasteward::verify {

std::string EncodeReport(const VerificationReport& r) {
  nlohmann::ordered_json j;
  j["snapshot_id"] = r.snapshot_id;
  j["verdict"] = r.Verdict();
  j["engine"] = r.engine;
  j["cluster"] = r.cluster;
  j["namespace"] = r.ns;
  j["started"] = r.started;
  j["finished"] = r.finished;
  j["duration_seconds"] = r.duration_seconds;
  j["phase_seconds"] = r.phase_seconds;
  j["failures"] = r.failures;
  j["notes"] = r.notes;
  j["restored_bytes"] = r.restored_bytes;
  j["tool_version"] = r.tool_version;
  auto tables = nlohmann::ordered_json::array();
  for (const auto& t : r.tables) {
    tables.push_back({{"database", t.database},
                      {"table", t.table},
                      {"rows", t.rows},
                      {"checksum", t.checksum},
                      {"check", t.check}});
  }
  j["tables"] = tables;
  return j.dump(2) + "\n";
}

core::Result<VerificationReport> DecodeReport(const std::string& json) {
  try {
    auto j = nlohmann::json::parse(json);
    VerificationReport r;
    r.snapshot_id = j.at("snapshot_id").get<std::string>();
    r.ok = j.at("verdict").get<std::string>() == "ok";
    r.engine = j.value("engine", "");
    r.cluster = j.value("cluster", "");
    r.ns = j.value("namespace", "");
    r.started = j.value("started", "");
    r.finished = j.value("finished", "");
    r.duration_seconds = j.value("duration_seconds", 0.0);
    r.phase_seconds = j.value("phase_seconds", std::map<std::string, double>{});
    r.failures = j.value("failures", std::vector<std::string>{});
    r.notes = j.value("notes", std::vector<std::string>{});
    r.restored_bytes = j.value("restored_bytes", uint64_t{0});
    r.tool_version = j.value("tool_version", "");
    for (const auto& t : j.value("tables", nlohmann::json::array())) {
      r.tables.push_back({t.value("database", ""), t.value("table", ""),
                          t.value("rows", int64_t{0}), t.value("checksum", ""),
                          t.value("check", "")});
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    return core::Corruption(std::string("verification report is not valid: ") + e.what());
  }
}

}  // namespace hasteward::verify
