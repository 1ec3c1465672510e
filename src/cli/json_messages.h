// The JSON messages the CLI prints with --json / --progress json, one typed struct each, turned
// into text only through nlohmann::json (never by concatenating strings): any message, name or
// path is escaped, so every line is valid JSON whatever a database tool or a user put in it.
// Field names follow restic's --json output where restic has the same message.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "jobs/instant_restore.h"

namespace hasteward::cli {

// {"error":{"code":"wrong-password","exit_code":12,"message":"...","hint":"..."}} on stderr.
struct ErrorMessage {
  core::ErrorCode code = core::ErrorCode::kInternal;
  std::string message;
  std::string hint;  // omitted when empty
};

// `backup --stdin --json`: restic's summary message.
struct StreamBackupSummaryMessage {
  std::string snapshot_id;
  uint64_t total_bytes_processed = 0;
  uint64_t data_blobs = 0;
  uint64_t data_blobs_new = 0;
  uint64_t data_added = 0;
  uint64_t data_added_packed = 0;
  uint64_t packs_written = 0;
  double total_duration = 0;  // seconds
};

// `backup -e -c -n --json`.
// How a native backup read (its tags read/reason/parent/bytes_read/...): what an incremental
// saved, or why it read everything.
struct NativeReadMessage {
  std::string mode;              // "incremental" or "full"
  std::string reason;            // why full ("no-parent", "requested", "wal-missing", ...)
  std::string parent;            // the parent snapshot of an incremental
  uint64_t data_bytes_read = 0;  // of the data files
  uint64_t wal_bytes_read = 0;   // of the WAL parsed for the changed pages and kept in the tree
  uint64_t reused_bytes = 0;     // blocks taken from the parent without reading
  uint64_t changed_blocks = 0;   // pages the WAL since the parent named
};

struct ClusterBackupSummaryMessage {
  std::string snapshot_id;
  std::string cluster;
  std::string ns;
  std::string source_instance;
  std::string source_role;
  std::string path;
  uint64_t total_bytes_processed = 0;
  uint64_t data_blobs_new = 0;
  uint64_t data_added_packed = 0;
  double total_duration = 0;              // seconds
  std::optional<NativeReadMessage> read;  // a native backup that can read incrementally
};

// `--progress json`: one line per progress update on stderr.
struct ProgressStatusMessage {
  std::string action;  // "backup", "restore", "export", ...
  uint64_t bytes_done = 0;
  uint64_t total_bytes = 0;  // 0 = unknown
  double seconds_elapsed = 0;
  double bytes_per_second = 0;
};

// Backend request counters after a command (stderr, --json).
struct RequestsMessage {
  uint64_t save = 0;
  uint64_t load = 0;
  uint64_t stat = 0;
  uint64_t list = 0;
  uint64_t remove = 0;
  uint64_t retries = 0;
  uint64_t bytes_written = 0;
  uint64_t bytes_read = 0;
};

// `repo init --json`.
struct RepoInitializedMessage {
  std::string id;
  std::string repository;  // redacted location
};

// `repo check --json`.
struct RepoCheckMessage {
  bool ok = false;
  uint64_t errors = 0;
  uint64_t snapshots = 0;
  uint64_t packs = 0;
  uint64_t blobs = 0;
  uint64_t bytes_read = 0;
  // Incremental native snapshots whose parent may lie on another history (evidence in the
  // repository), and those only unproven (verify/incremental_audit).
  uint64_t incrementals_on_another_history = 0;
  uint64_t incrementals_unproven = 0;
};

// `repo unlock --json`.
struct RepoUnlockMessage {
  int removed = 0;
  bool dry_run = false;  // omitted when false
};

// `repo key add|remove|passwd --json`: the key written and/or the key removed (full ids).
struct RepoKeyChangeMessage {
  std::string added;     // omitted when empty
  std::string removed;   // omitted when empty
  bool dry_run = false;  // omitted when false
};

// `restore --json`.
struct RestoreResultMessage {
  std::string restored;  // snapshot ID
  std::string cluster;
  std::string ns;
  uint64_t bytes = 0;
  std::optional<jobs::InstantRestoreResult> instant;  // --instant: "instant" {timings}
};

// `instance start|stop|status --json`.
struct InstanceStateMessage {
  std::string instance;
  bool running = false;
};

// `version --json`.
struct VersionMessage {
  std::string version;
};

// An instant restore's timings: {"writable_seconds","hydrate_seconds","pause_seconds"}.
nlohmann::json InstantTimingsJson(const jobs::InstantRestoreResult& instant);

nlohmann::json ToJson(const ErrorMessage& message);
nlohmann::json ToJson(const StreamBackupSummaryMessage& message);
nlohmann::json ToJson(const ClusterBackupSummaryMessage& message);
nlohmann::json ToJson(const ProgressStatusMessage& message);
nlohmann::json ToJson(const RequestsMessage& message);
nlohmann::json ToJson(const RepoInitializedMessage& message);
nlohmann::json ToJson(const RepoCheckMessage& message);
nlohmann::json ToJson(const RepoUnlockMessage& message);
nlohmann::json ToJson(const RepoKeyChangeMessage& message);
nlohmann::json ToJson(const RestoreResultMessage& message);
nlohmann::json ToJson(const InstanceStateMessage& message);
nlohmann::json ToJson(const VersionMessage& message);

// Prints `value` as one line of JSON. Bytes that are not UTF-8 (a tool's stderr in a message)
// become U+FFFD instead of aborting the output.
void PrintJsonValue(std::FILE* stream, const nlohmann::json& value);

// Prints one message (any struct above) as one line of JSON.
template <typename Message>
void PrintJsonLine(std::FILE* stream, const Message& message) {
  PrintJsonValue(stream, ToJson(message));
}

}  // namespace hasteward::cli
