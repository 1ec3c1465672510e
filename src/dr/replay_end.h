// dr/replay_end: what an activation may say about where the source's writes ended, from the
// source's demotion marker (dr/demotion_marker.h) and how far replay got. Pure functions, so the
// decision table is tested without servers.
//
// Why a marker can go stale, and how a stale one is never used: a fenced cluster may be started
// again and write on (a fail-back, an operator undoing a fence). Its marker then describes an end
// that is no longer the end. The marker is judged against the archive each time it is read:
// - any archive piece past its position (a later WAL segment or timeline), or stored after it was
//   written (the fence writes it only once its last piece is stored, so a later piece means the
//   cluster archived again), supersedes it;
// - a newer demotion replaces the object whole, so only the newest marker is ever read.
// A superseded marker reads as no marker: the end is unknown. And a marker never shortens replay:
// replay always runs to the end of the archive (or the requested point); the marker only decides
// what that end is called, and refuses an end short of it.
#pragma once

#include <optional>
#include <string>

#include "catalog/wal_names.h"
#include "core/status.h"
#include "dr/activation_machine.h"
#include "dr/demotion_marker.h"
#include "dr/discovery.h"

namespace hasteward::dr {

enum class MarkerStanding {
  kAbsent,      // the source left none
  kValid,       // the newest marker, not superseded by the archive
  kSuperseded,  // the cluster archived again after it: ignored
  kUnreadable,  // could not be read or decoded: ignored (the end stays unknown)
};

const char* MarkerStandingName(MarkerStanding standing);  // "absent", "valid", ...

struct MarkerJudgement {
  MarkerStanding standing = MarkerStanding::kAbsent;
  std::optional<DemotionMarker> marker;
  std::string reason;  // why superseded or unreadable
};

// Judges the loaded marker (or the error loading it) against what discovery found.
// `wal_names` reads WAL segment names (the empty naming for an engine without WAL).
MarkerJudgement JudgeMarker(const core::Result<std::optional<DemotionMarker>>& loaded,
                            const Discovery& discovery, const catalog::WalNames& wal_names);

// What the audit says about the end, or why the activation must stop.
struct ReplayEnd {
  SourceState source = SourceState::kUnknown;  // kDemoted: replay reached a valid marker
  std::string text;                            // "source finished at ... (demotion marker)"
  core::Status refusal;  // kSafetyStop: replay ends before a valid marker's position
};

// `reached`: the last piece replay reaches (a WAL segment name or a GTID position; "" when the
// archive holds none). `point_requested`: the activation replays to activation.pointInTime, where
// the marker does not apply (the user chose the end).
ReplayEnd DecideReplayEnd(const MarkerJudgement& judgement, const std::string& reached,
                          bool point_requested, const catalog::WalNames& wal_names);

}  // namespace hasteward::dr
