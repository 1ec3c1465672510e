#include "cli/json_messages.h"

#include <cmath>

namespace hasteward::cli {

namespace {

// Durations and rates are printed with a fixed precision, as the printf output was.
double Round(double value, double unit) {
  return std::round(value / unit) * unit;
}

}  // namespace

nlohmann::json ToJson(const ErrorMessage& message) {
  nlohmann::json error = {{"code", core::ErrorCodeName(message.code)},
                          {"exit_code", static_cast<int>(message.code)},
                          {"message", message.message}};
  if (!message.hint.empty())
    error["hint"] = message.hint;
  nlohmann::json out = {{"error", std::move(error)}};
  return out;
}

nlohmann::json ToJson(const StreamBackupSummaryMessage& message) {
  nlohmann::json out = {{"message_type", "summary"},
                        {"snapshot_id", message.snapshot_id},
                        {"total_bytes_processed", message.total_bytes_processed},
                        {"data_blobs", message.data_blobs},
                        {"data_blobs_new", message.data_blobs_new},
                        {"data_added", message.data_added},
                        {"data_added_packed", message.data_added_packed},
                        {"packs_written", message.packs_written},
                        {"total_duration", Round(message.total_duration, 0.001)}};
  return out;
}

nlohmann::json ToJson(const ClusterBackupSummaryMessage& message) {
  nlohmann::json out = {{"message_type", "summary"},
                        {"snapshot_id", message.snapshot_id},
                        {"cluster", message.cluster},
                        {"namespace", message.ns},
                        {"source_instance", message.source_instance},
                        {"source_role", message.source_role},
                        {"path", message.path},
                        {"total_bytes_processed", message.total_bytes_processed},
                        {"data_blobs_new", message.data_blobs_new},
                        {"data_added_packed", message.data_added_packed},
                        {"total_duration", Round(message.total_duration, 0.001)}};
  // Flat keys, not a nested object: the summary stays one level deep like every other line.
  if (message.read) {
    const NativeReadMessage& read = *message.read;
    out["read"] = read.mode;
    if (!read.reason.empty())
      out["read_reason"] = read.reason;
    if (!read.parent.empty())
      out["parent_snapshot_id"] = read.parent;
    out["data_bytes_read"] = read.data_bytes_read;
    out["wal_bytes_read"] = read.wal_bytes_read;
    out["reused_bytes"] = read.reused_bytes;
    out["changed_blocks"] = read.changed_blocks;
  }
  return out;
}

nlohmann::json ToJson(const ProgressStatusMessage& message) {
  nlohmann::json out = {{"message_type", "status"},
                        {"action", message.action},
                        {"bytes_done", message.bytes_done},
                        {"total_bytes", message.total_bytes},
                        {"seconds_elapsed", Round(message.seconds_elapsed, 0.1)},
                        {"bytes_per_second", Round(message.bytes_per_second, 1)}};
  return out;
}

nlohmann::json ToJson(const RequestsMessage& message) {
  nlohmann::json out = {{"message_type", "requests"},
                        {"save", message.save},
                        {"load", message.load},
                        {"stat", message.stat},
                        {"list", message.list},
                        {"remove", message.remove},
                        {"retries", message.retries},
                        {"bytes_written", message.bytes_written},
                        {"bytes_read", message.bytes_read}};
  return out;
}

nlohmann::json ToJson(const RepoInitializedMessage& message) {
  nlohmann::json out = {
      {"message_type", "initialized"}, {"id", message.id}, {"repository", message.repository}};
  return out;
}

nlohmann::json ToJson(const RepoCheckMessage& message) {
  nlohmann::json out = {
      {"ok", message.ok},
      {"errors", message.errors},
      {"snapshots", message.snapshots},
      {"packs", message.packs},
      {"blobs", message.blobs},
      {"bytes_read", message.bytes_read},
      {"incrementals_on_another_history", message.incrementals_on_another_history},
      {"incrementals_unproven", message.incrementals_unproven}};
  return out;
}

nlohmann::json ToJson(const RepoUnlockMessage& message) {
  nlohmann::json out = {{"removed", message.removed}};
  if (message.dry_run)
    out["dry_run"] = true;
  return out;
}

nlohmann::json ToJson(const RepoKeyChangeMessage& message) {
  nlohmann::json out = nlohmann::json::object();
  if (!message.added.empty())
    out["added"] = message.added;
  if (!message.removed.empty())
    out["removed"] = message.removed;
  if (message.dry_run)
    out["dry_run"] = true;
  return out;
}

nlohmann::json ToJson(const RestoreResultMessage& message) {
  nlohmann::json out = {{"restored", message.restored},
                        {"cluster", message.cluster},
                        {"namespace", message.ns},
                        {"bytes", message.bytes}};
  if (message.instant)
    out["instant"] = InstantTimingsJson(*message.instant);
  return out;
}

nlohmann::json InstantTimingsJson(const jobs::InstantRestoreResult& instant) {
  return {{"writable_seconds", instant.writable_seconds},
          {"hydrate_seconds", instant.hydrate_seconds},
          {"pause_seconds", instant.pause_seconds}};
}

nlohmann::json ToJson(const InstanceStateMessage& message) {
  nlohmann::json out = {{"instance", message.instance}, {"running", message.running}};
  return out;
}

nlohmann::json ToJson(const VersionMessage& message) {
  return {{"version", message.version}};
}

void PrintJsonValue(std::FILE* stream, const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stream);
}

}  // namespace hasteward::cli
