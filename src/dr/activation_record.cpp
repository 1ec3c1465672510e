#include "dr/activation_record.h"

#include <cerrno>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/atomic_file.h"
#include "core/fd.h"

namespace hasteward::dr {

namespace {

nlohmann::json AuditJson(const ActivationAudit& audit) {
  return {{"backup", audit.backup},
          {"sourcePosition", audit.source_position},
          {"requested", audit.requested},
          {"sourceEnd", SourceStateName(audit.source_end)},
          {"sourceEndDetail", audit.source_end_detail},
          {"replayStop", audit.replay_stop},
          {"replayed", audit.replayed},
          {"targetPosition", audit.target_position},
          {"cluster", audit.cluster},
          {"startedAt", audit.started_at},
          {"activatedAt", audit.activated_at}};
}

ActivationAudit AuditFrom(const nlohmann::json& json) {
  ActivationAudit audit;
  audit.backup = json.value("backup", "");
  audit.source_position = json.value("sourcePosition", "");
  audit.requested = json.value("requested", "");
  std::string end = json.value("sourceEnd", "unknown");
  audit.source_end = end == "demoted"    ? SourceState::kDemoted
                     : end == "writable" ? SourceState::kWritable
                                         : SourceState::kUnknown;
  audit.source_end_detail = json.value("sourceEndDetail", "");
  audit.replay_stop = json.value("replayStop", "");
  audit.replayed = json.value("replayed", uint64_t{0});
  audit.target_position = json.value("targetPosition", "");
  audit.cluster = json.value("cluster", "");
  audit.started_at = json.value("startedAt", int64_t{0});
  audit.activated_at = json.value("activatedAt", int64_t{0});
  return audit;
}

core::Result<ActivationPhase> PhaseField(const nlohmann::json& json, const char* key) {
  std::string name = json.value(key, "None");
  auto phase = ParseActivationPhase(name);
  if (!phase) {
    return core::Corruption(std::string("activation record: unknown ") + key + " '" + name + "'");
  }
  return *phase;
}

}  // namespace

nlohmann::json ActivationRecordJson(const ActivationRecord& record) {
  nlohmann::json transitions = nlohmann::json::array();
  for (const auto& transition : record.transitions) {
    transitions.push_back(
        {{"phase", ActivationPhaseName(transition.phase)}, {"at", transition.at}});
  }
  nlohmann::json json = {{"version", 1},
                         {"name", record.name},
                         {"phase", ActivationPhaseName(record.phase)},
                         {"transitions", transitions},
                         {"audit", AuditJson(record.audit)}};
  if (record.last_token) {
    json["lastToken"] = record.last_token->Format();
  }
  if (record.phase == ActivationPhase::kFailed) {
    json["failedPhase"] = ActivationPhaseName(record.failed_phase);
    json["failure"] = record.failure;
  }
  return json;
}

std::string EncodeActivationRecord(const ActivationRecord& record) {
  return ActivationRecordJson(record).dump(2) + "\n";
}

std::string ActivationRecordText(const ActivationRecord& record) {
  const ActivationAudit& audit = record.audit;
  auto utc = [](int64_t seconds) {
    return repo::GoTime{seconds, 0, 0}.Format();
  };
  std::string out = std::string("  activation: ") + ActivationPhaseName(record.phase);
  if (record.phase == ActivationPhase::kFailed) {
    out += std::string(" in ") + ActivationPhaseName(record.failed_phase) + ": " + record.failure;
  }
  out += " (started " + utc(audit.started_at) +
         (audit.activated_at != 0 ? ", activated " + utc(audit.activated_at) : "") +
         (record.last_token ? ", last token " + record.last_token->Format() : "") + ")\n";
  out += "    restored backup " + audit.backup.substr(0, 8) + " into " + audit.cluster +
         "; source at " + audit.source_position + " (end " +
         (audit.source_end_detail.empty() ? std::string(SourceStateName(audit.source_end))
                                          : audit.source_end_detail) +
         ")\n";
  out += "    replay stopped at " + (audit.replay_stop.empty() ? "-" : audit.replay_stop) + " (" +
         std::to_string(audit.replayed) + " piece(s) replayed" +
         (audit.requested.empty() ? ", to the last archived position"
                                  : ", requested " + audit.requested) +
         "); new primary at " + (audit.target_position.empty() ? "-" : audit.target_position) +
         "\n";
  return out;
}

core::Result<ActivationRecord> DecodeActivationRecord(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return core::Corruption("activation record is not a JSON object");
  }
  ActivationRecord record;
  try {
    record.name = json.value("name", "");
    HS_ASSIGN_OR_RETURN(record.phase, PhaseField(json, "phase"));
    HS_ASSIGN_OR_RETURN(record.failed_phase, PhaseField(json, "failedPhase"));
    record.failure = json.value("failure", "");
    if (json.contains("lastToken")) {
      HS_ASSIGN_OR_RETURN(record.last_token,
                          repo::ParseGoTime(json.at("lastToken").get<std::string>()));
    }
    for (const auto& item : json.value("transitions", nlohmann::json::array())) {
      HS_ASSIGN_OR_RETURN(ActivationPhase phase, PhaseField(item, "phase"));
      record.transitions.push_back({phase, item.value("at", int64_t{0})});
    }
    record.audit = AuditFrom(json.value("audit", nlohmann::json::object()));
  } catch (const nlohmann::json::exception& error) {
    return core::Corruption(std::string("activation record is malformed: ") + error.what());
  }
  return record;
}

std::string ActivationRecordFile(const std::string& state_file) {
  std::string base = state_file;
  if (base.size() > 5 && base.ends_with(".json")) {
    base.resize(base.size() - 5);
  }
  return base + "-activation.json";
}

core::Result<ActivationRecord> LoadActivationRecord(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 && errno == ENOENT) {
    return ActivationRecord{};
  }
  auto text = core::ReadFileToString(path);
  if (!text.ok()) {
    return text.TakeStatus().Wrap("read activation record '" + path + "'");
  }
  auto record = DecodeActivationRecord(*text);
  if (!record.ok()) {
    return core::Status(core::ErrorCode::kCorruption,
                        "activation record '" + path + "': " + record.status().message(),
                        "inspect the file and the target cluster; removing it restarts the "
                        "activation from Validating, which restores over the target again");
  }
  return record;
}

core::Status SaveActivationRecord(const std::string& path, const ActivationRecord& record) {
  core::AtomicFileOptions options;
  options.parent_dir_mode = 0700;
  std::string text = EncodeActivationRecord(record);
  return core::WriteFileAtomically(path, core::AsBytes(text), options)
      .Wrap("write activation record '" + path + "'");
}

}  // namespace hasteward::dr
