// dr/demotion_marker: the object a source cluster's planned fence leaves in its repository,
// saying where its writes ended once that end is archived (docs/standby.md#the-demotion-marker).
// An activation that replays up to it may say "the source finished"; without one, a missing next
// piece is only an unknown end (an archive-fed standby that took "next file not found" for "the
// source is done" lost acknowledged writes: CloudNativePG's replica clusters).
//
// Where: hasteward/standby-cursors/demotion/<engine>.<namespace>.<cluster>.marker, beside the
// standby cursors, one object per source cluster (a newer demotion replaces it whole). The name
// is no cursor's name (".marker", inside a sub-folder), so prune's cursor listing never reads it
// as an unreadable cursor, and stock restic never looks there. Encrypted and authenticated with
// the repository's master key like a cursor: only a holder of the password can claim an end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "platform/platform.h"
#include "repo/cursor/standby_cursor.h"
#include "repo/repository.h"

namespace hasteward::dr {

struct DemotionMarker {
  static constexpr int kVersion = 1;
  // The source cluster, as its snapshots' tags name it.
  std::string engine;
  std::string namespace_name;
  std::string cluster;
  // The last archived piece holding the cluster's writes: a WAL segment file name (kWalSegment)
  // or the GTID position after the last archived transaction (kGtid).
  repo::CursorPositionKind position_kind = repo::CursorPositionKind::kNone;
  std::string position;
  std::string end;  // the engine's own end: PostgreSQL "LSN 0/5000028 timeline 1", MariaDB
                    // "binlog mysql-bin.000004:1234"
  int64_t written_unix = 0;
  std::string writer;  // who fenced: "hasteward instance stop on <host>"
};

// "demotion/<engine>.<namespace>.<cluster>.marker", under hasteward/standby-cursors/.
std::string DemotionMarkerObjectName(const platform::Cluster& cluster);

// {"version":1,"source":{"engine","namespace","cluster"},"position":{"kind","position"},"end",
//  "written":RFC3339,"writer"}
std::string EncodeDemotionMarker(const DemotionMarker& marker);
// kCorruption naming what is wrong (not JSON, another version, a missing field).
core::Result<DemotionMarker> DecodeDemotionMarker(const std::string& json);

// Replaces the cluster's marker atomically. Storage errors as they come (a REST repository has
// no place for it: the fence then leaves no marker, and the end stays unknown).
core::Status SaveDemotionMarker(repo::Repository& repository, const platform::Cluster& cluster,
                                const DemotionMarker& marker);
// The cluster's marker; nullopt when there is none. kCorruption when it cannot be decrypted or
// decoded, or names another cluster; storage errors as they come.
core::Result<std::optional<DemotionMarker>> LoadDemotionMarker(repo::Repository& repository,
                                                               const platform::Cluster& cluster);

}  // namespace hasteward::dr
