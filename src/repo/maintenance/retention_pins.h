// repo/maintenance: what the standbys' retention floor cursors (repo/cursor/standby_cursor.h) pin
// when prune plans. Pure: built from the cursors as read and "now", it answers per backup whether
// a live cursor needs it. Prune keeps a pinned backup whatever the policy says; the archive
// retention (archive_retention.h) then keeps every WAL segment or binlog that backup replays,
// because it decides from the kept backups. A cursor is live until written + TTL; an expired one
// pins nothing and is reported as expired.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "repo/cursor/standby_cursor.h"

namespace hasteward::repo {

enum class CursorState { kLive, kExpired, kUnreadable };

const char* CursorStateName(CursorState state);  // "live", "expired", "unreadable"

// One cursor object as prune judged it.
struct JudgedCursor {
  std::string object_name;  // "<standby>.json"
  CursorState state = CursorState::kUnreadable;
  std::optional<StandbyCursor> cursor;  // unset when unreadable
  std::string reason;                   // one line for logs and reports
};

class RetentionPins {
 public:
  RetentionPins() = default;
  // Judges every cursor read at `now_unix`.
  static RetentionPins Judge(const std::vector<CursorRead>& reads, int64_t now_unix);

  // Why a live cursor pins `backup_id` (full hex) of the cluster "engine/namespace/cluster"
  // ("pinned by standby 'shop-dr' until 2026-11-23T11:00:00Z"), or why an unreadable cursor pins
  // everything; nullopt when nothing pins it.
  std::optional<std::string> PinReason(const std::string& cluster_key,
                                       const std::string& backup_id) const;

  const std::vector<JudgedCursor>& cursors() const { return cursors_; }
  bool empty() const { return cursors_.empty(); }

  // [{"object","standby","state","reason","cluster"?,"backup"?,"archive"?,"written"?,
  //   "expires"?}]
  nlohmann::json ToJson() const;
  // One line per cursor ("standby cursor shop-dr.json: live, pins ... until ...").
  std::string ToText() const;

 private:
  std::vector<JudgedCursor> cursors_;
  // Set when some cursor is unreadable: its reason pins every backup.
  std::optional<std::string> pin_all_;
};

}  // namespace hasteward::repo
