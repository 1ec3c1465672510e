#include "operator/archive/archive_progress.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "repo/format/go_json.h"

namespace hasteward::op {

namespace {

std::optional<double> UnixOf(const nlohmann::json& value) {
  if (!value.is_string())
    return std::nullopt;
  auto parsed = repo::ParseGoTime(value.get<std::string>());
  if (!parsed.ok())
    return std::nullopt;
  return static_cast<double>(parsed->unix_seconds) + parsed->nanos / 1e9;
}

std::optional<int64_t> CountOf(const nlohmann::json& value) {
  if (!value.is_number_integer() && !value.is_number_unsigned())
    return std::nullopt;
  return value.get<int64_t>();
}

}  // namespace

bool ApplyCycleLine(const std::string& line, ArchiveProgress& progress) {
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("ok") || !json["ok"].is_boolean())
    return false;
  // Measured by a failed cycle too (null when the writer was away as well): keep the last value.
  if (auto files = CountOf(json.value("files_behind", nlohmann::json())))
    progress.files_behind = files;
  if (auto bytes = CountOf(json.value("bytes_behind", nlohmann::json())))
    progress.bytes_behind = bytes;
  if (!json["ok"].get<bool>()) {
    ++progress.cycles_failed;
    progress.last_error = json.value("error", "");
    return true;
  }
  ++progress.cycles_ok;
  progress.last_error.clear();
  progress.covered_at = std::max(progress.covered_at, json.value("listed_at", 0.0));
  progress.position = json.value("archived_gtid", progress.position);
  progress.last_transaction_time =
      std::max(progress.last_transaction_time, json.value("last_transaction_time", int64_t{0}));
  return true;
}

bool ApplyAgentLine(const std::string& line, ArchiveProgress& progress) {
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("file") || !json.contains("ok") ||
      !json["ok"].is_boolean())
    return false;
  ++progress.agent_requests;
  if (!json["ok"].get<bool>()) {
    ++progress.agent_errors;
    return true;
  }
  progress.agent_files_archived += CountOf(json.value("stored", nlohmann::json())).value_or(0);
  return true;
}

bool ApplyReceiverLine(const std::string& line, ArchiveProgress& progress) {
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("durable") ||
      !json["durable"].is_number_unsigned() || !json.contains("synchronous") ||
      !json["synchronous"].is_boolean())
    return false;
  progress.receiver_durable = json["durable"].get<uint64_t>();
  progress.receiver_received = json.value("received", *progress.receiver_durable);
  progress.receiver_synchronous = json["synchronous"].get<bool>();
  progress.receiver_fallbacks = json.value("fallbacks", int64_t{0});
  progress.receiver_repository_down = json.value("repository_down", false);
  return true;
}

bool ApplyBinlogReceiverLine(const std::string& line, ArchiveProgress& progress) {
  if (!ApplyReceiverLine(line, progress))
    return false;
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  progress.covered_at = std::max(progress.covered_at, json.value("covered_at", 0.0));
  const std::string state = json.value("durable_state", "");
  if (!state.empty())
    progress.position = state;
  progress.last_error.clear();
  return true;
}

void ApplyServerArchiver(const engine::ArchiverState& state, uint64_t segment_bytes, double read_at,
                         ArchiveProgress& progress) {
  progress.enabled = state.enabled;
  progress.last_error.clear();
  progress.files_behind = state.waiting;
  progress.bytes_behind = state.waiting * static_cast<int64_t>(segment_bytes);
  if (!state.last_archived.empty())
    progress.position = state.last_archived;
  const double covered =
      state.waiting == 0 ? read_at : static_cast<double>(state.last_archived_time);
  // Only while archiving works: a server that never archived covers nothing.
  if (state.enabled && (state.waiting == 0 || state.last_archived_time > 0))
    progress.covered_at = std::max(progress.covered_at, covered);
}

core::Result<PitrWindowSummary> SummarizePitrStatus(const std::string& json_text) {
  auto json = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("bases") ||
      !json["bases"].is_array()) {
    return core::Status(core::ErrorCode::kCorruption, "'pitr status --json' printed no status",
                        "run 'hasteward pitr status' for the cluster by hand");
  }
  PitrWindowSummary summary;
  std::set<std::string> gaps;  // bases after the same gap report it once
  for (const auto& base : json["bases"]) {
    ++summary.bases;
    if (base.value("abandoned", false))
      continue;
    if (!base.value("gap", nlohmann::json()).is_null())
      gaps.insert(base["gap"].dump());
    auto time = UnixOf(base.value("time", nlohmann::json()));
    if (!base.value("recoverable", false) || !time)
      continue;
    summary.start = summary.start == 0 ? *time : std::min(summary.start, *time);
    // A window that replays nothing yet ends at its base.
    summary.end =
        std::max(summary.end, UnixOf(base.value("end_time", nlohmann::json())).value_or(*time));
  }
  summary.gaps = static_cast<int64_t>(gaps.size());
  return summary;
}

std::optional<double> LagSeconds(const ArchiveProgress& progress, double now) {
  if (progress.covered_at <= 0)
    return std::nullopt;
  return std::max(0.0, now - progress.covered_at);
}

}  // namespace hasteward::op
