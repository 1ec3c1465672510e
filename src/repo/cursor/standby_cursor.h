// repo/cursor: a DR standby's retention floor cursor (docs/standby.md). The standby side writes
// one small object per standby into its source's repository, at
// hasteward/standby-cursors/<standby>.json (storage::FileType::kStandbyCursor), naming the oldest
// backup and archive position it still needs; the source's prune reads the cursors and never
// removes what a live one names (repo/maintenance/retention_pins.h).
//
// The object is the cursor's JSON encrypted and authenticated with the repository's master key,
// exactly as restic stores its own files: the bucket learns nothing it does not already (cluster
// names and snapshot IDs stay private), a torn or altered object is detected as such, and only a
// holder of the repository password can write a cursor that pins anything. It lives in the repo
// layer, the lowest that needs it (prune reads it); dr writes it through this codec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::repo {

// What kind of archive position a cursor names.
enum class CursorPositionKind {
  kNone,        // the pinned backup replays nothing (a dump) or its start is unknown
  kWalSegment,  // a PostgreSQL WAL segment file name ("000000010000000000000005")
  kGtid,        // a MariaDB GTID position ("0-1-42,1-2-7")
};

const char* CursorPositionKindName(CursorPositionKind kind);  // "none", "wal", "gtid"

struct StandbyCursor {
  static constexpr int kVersion = 1;
  std::string standby;
  // The source cluster, as its snapshots' tags name it (engine=, namespace=, cluster=).
  std::string engine;
  std::string namespace_name;
  std::string cluster;
  // The oldest backup the standby still needs (full hex ID) and when it ended (RFC 3339).
  std::string backup_id;
  std::string backup_end;
  // Where replaying onto that backup starts: the archive from here on is needed.
  CursorPositionKind position_kind = CursorPositionKind::kNone;
  std::string position;
  int64_t written_unix = 0;  // when the standby wrote it
  int64_t ttl_seconds = 3600;

  int64_t ExpiresUnix() const { return written_unix + ttl_seconds; }
  // Live until written + TTL (inclusive); expired after.
  bool LiveAt(int64_t now_unix) const { return now_unix <= ExpiresUnix(); }
  // "engine/namespace/cluster", the key prune groups by (PlanGroup::Key without the type).
  std::string ClusterKey() const;
};

// kUsage unless `name` can name a cursor object: lowercase letters, digits, '-' and '.', starting
// with a letter or digit, at most 63 characters.
core::Status ValidateStandbyName(const std::string& name);

// "<standby>.json", the object's name under hasteward/standby-cursors/.
std::string StandbyCursorObjectName(const std::string& standby);

// {"version":1,"standby","source":{"engine","namespace","cluster"},"needs":{"backup",
//  "backupEnd","archive":{"kind","position"}},"written":RFC3339,"ttlSeconds"}
std::string EncodeStandbyCursor(const StandbyCursor& cursor);
// kCorruption naming what is wrong: not JSON, a newer version, a missing or mistyped field, a
// non-positive TTL, an unreadable written time.
core::Result<StandbyCursor> DecodeStandbyCursor(const std::string& json);

// Writes the cursor atomically (the backend's Save replaces the object whole or not at all).
// Errors: the name's kUsage, storage errors (a REST repository cannot store cursors).
core::Status SaveStandbyCursor(Repository& repository, const StandbyCursor& cursor);

// One cursor object as read: the cursor, or why it could not be read (`error`).
struct CursorRead {
  std::string object_name;  // "<standby>.json"
  std::optional<StandbyCursor> cursor;
  core::Status error;  // kCorruption (decrypt, decode, name mismatch) or a storage error
};

// Every cursor object in the repository. An object that cannot be loaded, decrypted or decoded is
// a CursorRead with an error, not a failure; errors: the listing itself failed.
core::Result<std::vector<CursorRead>> LoadStandbyCursors(Repository& repository);

}  // namespace hasteward::repo
