#include "engine/triage_json.h"

namespace hasteward::engine {

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "info";
}

nlohmann::ordered_json TriageReportToJson(const TriageReport& report) {
  nlohmann::ordered_json j;
  j["cluster"] = report.cluster;
  j["namespace"] = report.ns;
  j["engine"] = platform::EngineKindName(report.engine);
  j["verdict"] = VerdictName(report.verdict);
  j["exit_code"] = static_cast<int>(VerdictExitCode(report.verdict));
  j["took_ms"] = report.took.count();
  auto instances = nlohmann::ordered_json::array();
  for (const auto& i : report.instances) {
    nlohmann::ordered_json ij;
    ij["name"] = i.instance.name;
    ij["ordinal"] = i.instance.ordinal;
    ij["state"] = InstanceStateName(i.state);
    ij["role"] = RoleName(i.role);
    ij["writable"] = i.writable;
    if (!i.error.empty())
      ij["error"] = i.error;
    ij["facts"] = i.facts;
    instances.push_back(std::move(ij));
  }
  j["instances"] = std::move(instances);
  auto findings = nlohmann::ordered_json::array();
  for (const auto& f : report.findings) {
    findings.push_back(
        {{"severity", SeverityName(f.severity)}, {"instance", f.instance}, {"message", f.message}});
  }
  j["findings"] = std::move(findings);
  return j;
}

}  // namespace hasteward::engine
