#include "dr/replay_end.h"

#include "repo/format/go_json.h"

namespace hasteward::dr {

namespace {

std::string Supersession(const DemotionMarker& marker, const Discovery& discovery,
                         const catalog::WalNames& wal_names) {
  if (!discovery.archive) {
    return "";
  }
  const ArchiveHead& head = *discovery.archive;
  if (marker.written_unix < head.newest_piece_at.unix_seconds) {
    return "the archive stored a piece at " + head.newest_piece_at.Format() +
           ", after the marker was written at " + repo::GoTime{marker.written_unix, 0, 0}.Format() +
           ": the cluster wrote again";
  }
  if (marker.position_kind == repo::CursorPositionKind::kWalSegment && head.wal) {
    auto order = wal_names.CompareSegmentFiles(head.wal->name, marker.position);
    if (order && *order > 0) {
      return "the archive holds " + head.wal->name + ", past the marker's " + marker.position +
             ": the cluster wrote again";
    }
  }
  return "";
}

}  // namespace

const char* MarkerStandingName(MarkerStanding standing) {
  switch (standing) {
    case MarkerStanding::kValid: return "valid";
    case MarkerStanding::kSuperseded: return "superseded";
    case MarkerStanding::kUnreadable: return "unreadable";
    case MarkerStanding::kAbsent: break;
  }
  return "absent";
}

MarkerJudgement JudgeMarker(const core::Result<std::optional<DemotionMarker>>& loaded,
                            const Discovery& discovery, const catalog::WalNames& wal_names) {
  MarkerJudgement judgement;
  if (!loaded.ok()) {
    judgement.standing = MarkerStanding::kUnreadable;
    judgement.reason = loaded.status().ToString();
    return judgement;
  }
  if (!loaded->has_value()) {
    return judgement;
  }
  judgement.marker = **loaded;
  judgement.reason = Supersession(*judgement.marker, discovery, wal_names);
  judgement.standing =
      judgement.reason.empty() ? MarkerStanding::kValid : MarkerStanding::kSuperseded;
  return judgement;
}

ReplayEnd DecideReplayEnd(const MarkerJudgement& judgement, const std::string& reached,
                          bool point_requested, const catalog::WalNames& wal_names) {
  ReplayEnd end;
  if (point_requested) {
    end.text = "unknown end (replay to the requested point)";
    return end;
  }
  if (judgement.standing != MarkerStanding::kValid) {
    end.text = judgement.standing == MarkerStanding::kAbsent
                   ? "unknown end"
                   : std::string("unknown end (demotion marker ") +
                         MarkerStandingName(judgement.standing) + ": " + judgement.reason + ")";
    return end;
  }
  const DemotionMarker& marker = *judgement.marker;
  std::optional<int> order;
  if (marker.position_kind == repo::CursorPositionKind::kWalSegment) {
    order = reached.empty() ? std::optional<int>(-1)
                            : wal_names.CompareSegmentFiles(reached, marker.position);
  } else if (marker.position_kind == repo::CursorPositionKind::kGtid) {
    order = reached == marker.position ? 0 : -1;  // a valid marker has nothing archived past it
  }
  if (order && *order >= 0) {
    end.source = SourceState::kDemoted;
    end.text = "source finished at " + marker.end + ", " + marker.position + " (demotion marker)";
    return end;
  }
  // The marker proves the source archived up to its position; replay that cannot get there is
  // missing a piece that exists (or existed), and activating would drop its writes silently.
  end.refusal = core::Status(
      core::ErrorCode::kSafetyStop,
      "replay reaches only " + (reached.empty() ? std::string("the base") : reached) +
          ", but the source's demotion marker says its writes end at " + marker.position + " (" +
          marker.end + "): an archived piece is missing",
      "check the source's archive ('hasteward wal status' / 'standby status'); to activate at "
      "the reachable point anyway, set activation.pointInTime to a time it reaches and rerun with "
      "a newer token");
  return end;
}

}  // namespace hasteward::dr
