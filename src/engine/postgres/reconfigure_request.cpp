#include "engine/postgres/reconfigure_request.h"

#include <cctype>

#include "engine/postgres/setting_value.h"

namespace hasteward::engine::postgres {

namespace {

// synchronous_standby_names as the server compares it: keywords and '*' case-insensitive,
// spacing irrelevant.
std::string Canonical(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c != ' ')
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::string SynchronousStandbyNames(ReplicationMode mode) {
  return mode == ReplicationMode::kSemisync ? "ANY 1 (*)" : "";
}

core::Result<std::map<std::string, std::string>> PostgresSettingsOf(
    const ReconfigureRequest& request) {
  if (request.wait_point) {
    return core::Usage("--semisync-wait-point is a MariaDB option",
                       "PostgreSQL's synchronous replication always waits until a standby has "
                       "flushed the commit; drop --semisync-wait-point");
  }
  std::map<std::string, std::string> out;
  for (const auto& setting : request.settings) {
    HS_ASSIGN_OR_RETURN(std::string name, NormalizeSettingName(setting.name));
    HS_TRY(CheckSettingValue(name, setting.value));
    auto [it, added] = out.emplace(name, setting.value);
    if (!added && it->second != setting.value) {
      return core::Usage("'" + name + "' is set twice with different values",
                         "give each setting once");
    }
  }
  if (request.replication_mode) {
    std::string wanted = SynchronousStandbyNames(*request.replication_mode);
    auto [it, added] = out.emplace(kSynchronousStandbyNames, wanted);
    if (!added && Canonical(it->second) != Canonical(wanted)) {
      return core::Usage(std::string("--set ") + kSynchronousStandbyNames + "='" + it->second +
                             "' contradicts the replication mode " +
                             ReplicationModeName(*request.replication_mode) + " ('" + wanted + "')",
                         "drop the --set or the --replication-mode");
    }
  }
  if (out.empty()) {
    return core::Usage("nothing to reconfigure",
                       "give --set name=value or --replication-mode async|semisync");
  }
  return out;
}

}  // namespace hasteward::engine::postgres
