// pitr/restore_point: where a point-in-time restore stops, and the one parser of the `--until`
// flags every command shares (restore, restore --into-sandbox; a DR activation's pointInTime).
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "repo/format/go_json.h"

namespace hasteward::pitr {

class Archive;

enum class RestorePointKind {
  kTime,          // the last transaction committed at or before `time`
  kPosition,      // a position in the engine's syntax (a WAL LSN, a GTID state)
  kEndOfArchive,  // everything archived (a DR activation's "last archived position")
};

struct RestorePoint {
  RestorePointKind kind = RestorePointKind::kEndOfArchive;
  repo::GoTime time;     // kTime
  std::string position;  // kPosition, checked by the archive (Archive::CheckPosition)

  static RestorePoint Time(const repo::GoTime& time) { return {RestorePointKind::kTime, time, ""}; }
  static RestorePoint Position(std::string position) {
    return {RestorePointKind::kPosition, {}, std::move(position)};
  }
  static RestorePoint EndOfArchive() { return {}; }
};

// The flags as given: `--until TIME` and the position flags by name ("--until-lsn" -> "0/3000A38");
// empty values are flags not given.
struct UntilFlags {
  std::string time;
  std::map<std::string, std::string> positions;

  bool any() const;
};

// The point the flags name for `archive`. kUsage for two targets at once, a time that is not
// RFC 3339, a position flag of another archive kind, or a position the archive cannot read.
// No flag given is kUsage too: a restore in place names its point.
core::Result<RestorePoint> ParseUntil(const UntilFlags& flags, const Archive& archive);

// An RFC 3339 time as a restore point's time (kUsage naming `flag` otherwise).
core::Result<repo::GoTime> ParseUntilTime(const std::string& flag, const std::string& text);

}  // namespace hasteward::pitr
