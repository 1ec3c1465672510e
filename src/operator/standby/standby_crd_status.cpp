#include "operator/standby/standby_crd_status.h"

#include "core/utc_time.h"

namespace hasteward::op {

namespace {

using nlohmann::json;

}  // namespace

json StandbyClusterStatus(int64_t generation, const ReadyCondition& ready,
                          const std::string& ready_since, const StandbyProgress* progress,
                          const json& report) {
  json conditions = json::array({{{"type", "Ready"},
                                  {"status", ready.ready ? "True" : "False"},
                                  {"reason", ready.reason},
                                  {"message", ready.message},
                                  {"lastTransitionTime", ready_since},
                                  {"observedGeneration", generation}}});
  json status = {{"observedGeneration", generation}};
  // The runner's conditions, not the report's: an abandoned discovery (DiscoveryTimedOut) changes
  // them without a report, and /metrics shows the same ones.
  if (progress != nullptr && progress->last_discovery > 0) {
    for (const auto& condition : progress->conditions) {
      conditions.push_back({{"type", dr::ConditionTypeName(condition.type)},
                            {"status", dr::ConditionStatusName(condition.status)},
                            {"reason", condition.reason},
                            {"message", condition.message},
                            {"lastTransitionTime", core::Rfc3339Utc(condition.last_transition)}});
    }
    status["lastDiscoveryTime"] = core::Rfc3339Utc(progress->last_discovery);
  }
  status["conditions"] = std::move(conditions);
  if (ready.ready && report.is_object()) {
    for (const char* field : {"discovered", "freshness", "cursor"}) {
      if (report.contains(field))
        status[field] = report[field];
    }
  }
  // Never activated: the record is absent from the report; the phase still says so.
  status["activation"] = report.is_object() && report.contains("activation")
                             ? report["activation"]
                             : json{{"phase", "None"}};
  return status;
}

}  // namespace hasteward::op
