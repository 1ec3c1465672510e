#include "operator/standby/standby_metrics.h"

#include <iomanip>
#include <optional>
#include <sstream>

#include "operator/runtime/metrics.h"

namespace hasteward::op {

namespace {

std::string Labels(const StandbyProgress& s) {
  return "standby=\"" + EscapeLabel(s.name) + "\"";
}

void Header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

// One family with a sample per standby whose `value` is known.
template <typename ValueOf>
void Add(std::ostringstream& out, const std::vector<StandbyProgress>& standbys, const char* name,
         const char* type, const char* help, ValueOf value) {
  Header(out, name, type, help);
  for (const auto& s : standbys) {
    if (std::optional<double> v = value(s))
      out << name << "{" << Labels(s) << "} " << *v << "\n";
  }
}

std::optional<double> Measured(int64_t value) {
  return value >= 0 ? std::optional<double>(static_cast<double>(value)) : std::nullopt;
}

std::optional<double> Discovered(const StandbyProgress& s, double value) {
  return s.discoveries > 0 ? std::optional<double>(value) : std::nullopt;
}

}  // namespace

std::string RenderStandbyMetrics(const std::vector<StandbyProgress>& standbys) {
  std::ostringstream out;
  out << std::setprecision(15);
  Add(out, standbys, "hasteward_standby_suspended", "gauge",
      "1 when the standby's declaration suspends it (no discovery, no cursor)",
      [](const StandbyProgress& s) { return std::optional<double>(s.suspended ? 1 : 0); });
  Header(out, "hasteward_standby_condition", "gauge",
         "1 when the standby's condition is True, 0 when False (absent while Unknown)");
  for (const auto& s : standbys) {
    for (const auto& c : s.conditions) {
      if (c.status == dr::ConditionStatus::kUnknown)
        continue;
      out << "hasteward_standby_condition{" << Labels(s) << ",condition=\""
          << dr::ConditionTypeName(c.type) << "\"} "
          << (c.status == dr::ConditionStatus::kTrue ? 1 : 0) << "\n";
    }
  }
  Add(out, standbys, "hasteward_standby_last_discovery_timestamp_seconds", "gauge",
      "Unix time the standby's last discovery ended or was abandoned",
      [](const StandbyProgress& s) {
        return Discovered(s, static_cast<double>(s.last_discovery));
      });
  Add(out, standbys, "hasteward_standby_discovery_duration_seconds", "gauge",
      "How long the standby's last discovery took (its interval when abandoned)",
      [](const StandbyProgress& s) { return Discovered(s, s.last_duration_seconds); });
  Add(out, standbys, "hasteward_standby_discoveries_total", "counter",
      "Discoveries of the standby since serve started, abandoned ones included",
      [](const StandbyProgress& s) {
        return s.suspended ? std::nullopt
                           : std::optional<double>(static_cast<double>(s.discoveries));
      });
  Add(out, standbys, "hasteward_standby_discoveries_abandoned_total", "counter",
      "Discoveries abandoned because they exceeded the standby's discoveryInterval",
      [](const StandbyProgress& s) {
        return s.suspended ? std::nullopt : std::optional<double>(static_cast<double>(s.abandoned));
      });
  Add(out, standbys, "hasteward_standby_cursor_written", "gauge",
      "1 when the last discovery wrote the standby's retention floor cursor",
      [](const StandbyProgress& s) { return Discovered(s, s.cursor_written ? 1 : 0); });
  Add(out, standbys, "hasteward_standby_verification_passed", "gauge",
      "1 when the standby's last own verification (a restore at this site) passed, 0 when it "
      "failed or could not run",
      [](const StandbyProgress& s) {
        return s.verification ? std::optional<double>(s.verification->passed() ? 1 : 0)
                              : std::nullopt;
      });
  Add(out, standbys, "hasteward_standby_last_verification_timestamp_seconds", "gauge",
      "Unix time the standby's last own verification ended", [](const StandbyProgress& s) {
        return s.verification
                   ? std::optional<double>(static_cast<double>(s.verification->verified_at))
                   : std::nullopt;
      });
  Add(out, standbys, "hasteward_standby_verifications_total", "counter",
      "Verifications (scratch restores) serve ran for the standby since it started",
      [](const StandbyProgress& s) {
        return s.suspended ? std::nullopt
                           : std::optional<double>(static_cast<double>(s.verifications));
      });
  Add(out, standbys, "hasteward_standby_archive_backlog_segments", "gauge",
      "WAL segments the source's newest backup proves written but not archived",
      [](const StandbyProgress& s) { return Measured(s.backlog_segments); });
  Add(out, standbys, "hasteward_standby_evidence_age_seconds", "gauge",
      "Seconds since the newest evidence the source was alive (a backup's end or archived piece)",
      [](const StandbyProgress& s) { return Measured(s.evidence_age_seconds); });
  return out.str();
}

}  // namespace hasteward::op
