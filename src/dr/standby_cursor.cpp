#include "dr/standby_cursor.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "catalog/base_backup_record.h"
#include "jobs/jobs.h"
#include "jobs/native_backup.h"
#include "repo/format/go_json.h"

namespace hasteward::dr {

namespace {

const repo::Snapshot* FindById(const std::vector<repo::Snapshot>& snapshots,
                               const std::string& id) {
  for (const auto& snapshot : snapshots) {
    if (repo::IdToHex(snapshot.id) == id) {
      return &snapshot;
    }
  }
  return nullptr;
}

// Where replay onto `backup` starts. A native PostgreSQL base replays WAL from the segment of its
// start position; a native MariaDB base replays the binlog transactions after its GTID position.
void SetStartPosition(const repo::Snapshot& backup, const catalog::WalNames& wal_names,
                      repo::StandbyCursor& cursor) {
  if (!catalog::IsNativeBackup(backup)) {
    return;  // a dump replays nothing
  }
  const std::string gtid = catalog::GtidTagValue(backup.tags, "gtid_position").value_or("");
  if (!gtid.empty()) {
    cursor.position_kind = repo::CursorPositionKind::kGtid;
    cursor.position = gtid;
    return;
  }
  auto record = catalog::DecodeBaseBackup(backup);
  if (!record.ok() || !record->start()) {
    return;
  }
  if (std::optional<catalog::WalSegment> start = wal_names.SegmentHolding(*record->start())) {
    cursor.position_kind = repo::CursorPositionKind::kWalSegment;
    cursor.position = start->name;
  }
}

// The base an activation to `point` restores: the newest native backup of the source that ended
// at or before the point (a base replays forward only, so one that ended later cannot reach it).
// Not the newest or newest verified backup: a standby declaring a point in time needs an older
// base and the archive from it up to the point, which the default rule would let the source's
// prune delete once newer backups exist. nullopt when no native base ended by then (an
// activation to that point cannot succeed; the default rule pins what exists instead).
std::optional<DiscoveredBackup> BaseForPoint(const StandbySpec& spec,
                                             const std::vector<repo::Snapshot>& snapshots,
                                             const repo::GoTime& point) {
  const auto backup_tags =
      jobs::SnapshotTags(spec.SourceCluster(), repo::SnapshotType::kBackup, "");
  std::optional<DiscoveredBackup> base;
  for (const auto& snapshot : snapshots) {
    const bool of_source =
        std::all_of(backup_tags.begin(), backup_tags.end(),
                    [&](const std::string& tag) { return snapshot.HasTag(tag); });
    if (!of_source || !catalog::IsNativeBackup(snapshot)) {
      continue;
    }
    const repo::GoTime end = RecordedEnd(snapshot);
    const std::string id = repo::IdToHex(snapshot.id);
    if (point < end || (base && (end < base->end || (!(base->end < end) && id < base->id)))) {
      continue;  // ended after the point, or older than the base found so far
    }
    base = DiscoveredBackup{};
    base->id = id;
    base->end = end;
  }
  return base;
}

// The backup the cursor pins (see NeededCursor).
std::optional<DiscoveredBackup> PinnedBackup(const StandbySpec& spec, const Discovery& discovery,
                                             const std::vector<repo::Snapshot>& snapshots) {
  if (spec.activation.point_in_time) {
    auto point = repo::ParseGoTime(*spec.activation.point_in_time);  // checked by the parser
    if (point.ok()) {
      if (auto base = BaseForPoint(spec, snapshots, *point)) {
        return base;
      }
    }
  }
  return discovery.newest_verified ? discovery.newest_verified : discovery.newest_backup;
}

}  // namespace

std::optional<repo::StandbyCursor> NeededCursor(const StandbySpec& spec, const Discovery& discovery,
                                                const std::vector<repo::Snapshot>& snapshots,
                                                const catalog::WalNames& wal_names,
                                                int64_t now_unix) {
  const std::optional<DiscoveredBackup> needed = PinnedBackup(spec, discovery, snapshots);
  if (!needed) {
    return std::nullopt;
  }
  const platform::Cluster source = spec.SourceCluster();
  repo::StandbyCursor cursor;
  cursor.standby = spec.name;
  cursor.engine = platform::EngineKindName(source.engine);
  cursor.namespace_name = source.ns;
  cursor.cluster = source.name;
  cursor.backup_id = needed->id;
  cursor.backup_end = needed->end.Format();
  cursor.written_unix = now_unix;
  cursor.ttl_seconds = spec.cursor.ttl.count();
  if (const repo::Snapshot* backup = FindById(snapshots, needed->id)) {
    SetStartPosition(*backup, wal_names, cursor);
  }
  return cursor;
}

CursorOutcome RefreshCursor(repo::Repository& repository, const StandbySpec& spec,
                            const Discovery& discovery,
                            const std::vector<repo::Snapshot>& snapshots,
                            const catalog::WalNames& wal_names, int64_t now_unix) {
  CursorOutcome outcome;
  if (!spec.cursor.write) {
    outcome.skipped = "cursor.write is false";
    return outcome;
  }
  outcome.cursor = NeededCursor(spec, discovery, snapshots, wal_names, now_unix);
  if (!outcome.cursor) {
    outcome.skipped = "no native backup of the source yet";
    return outcome;
  }
  outcome.error = repo::SaveStandbyCursor(repository, *outcome.cursor);
  outcome.written = outcome.error.ok();
  return outcome;
}

nlohmann::json CursorOutcome::ToJson(const std::string& standby) const {
  nlohmann::json json = {
      {"object", "hasteward/standby-cursors/" + repo::StandbyCursorObjectName(standby)},
      {"written", written}};
  if (!skipped.empty()) {
    json["skipped"] = skipped;
  }
  if (!error.ok()) {
    json["error"] = error.ToString();
  }
  if (cursor) {
    json["backup"] = cursor->backup_id;
    json["backupEnd"] = cursor->backup_end;
    json["archive"] = {{"kind", repo::CursorPositionKindName(cursor->position_kind)},
                       {"position", cursor->position}};
    json["writtenAt"] = repo::GoTime{cursor->written_unix, 0, 0}.Format();
    json["expires"] = repo::GoTime{cursor->ExpiresUnix(), 0, 0}.Format();
  }
  return json;
}

std::string CursorOutcome::ToText(const std::string& standby) const {
  std::string out = "  cursor hasteward/standby-cursors/" + repo::StandbyCursorObjectName(standby);
  if (!skipped.empty()) {
    return out + ": not written (" + skipped + ")\n";
  }
  if (!error.ok()) {
    return out + ": NOT WRITTEN, the source's prune is not held back: " + error.ToString() + "\n";
  }
  out += ": pins backup " + cursor->backup_id.substr(0, 8);
  if (cursor->position_kind != repo::CursorPositionKind::kNone) {
    out += std::string(" and the archive from ") +
           repo::CursorPositionKindName(cursor->position_kind) + " " + cursor->position;
  }
  return out + " until " + repo::GoTime{cursor->ExpiresUnix(), 0, 0}.Format() + "\n";
}

}  // namespace hasteward::dr
