#include "jobs/repair_restore_guard.h"

#include "engine/repair.h"

namespace hasteward::jobs {

namespace {

std::string LivePosition(const engine::InstanceHealth& h) {
  if (!h.Fact("position_lsn").empty()) {
    return "timeline " + h.Fact("lineage_timeline") + " at " + h.Fact("position_lsn");
  }
  if (!h.Fact("gtid_binlog_pos").empty())
    return "GTID " + h.Fact("gtid_binlog_pos");
  if (!h.Fact("position_seqno").empty())
    return "seqno " + h.Fact("position_seqno");
  return "its current data";
}

}  // namespace

core::Status CheckRestoreTarget(const engine::TriageReport& r, bool confirm_rewind) {
  const std::string hint =
      "pass --confirm-rewind to rewind anyway (back up first: 'hasteward backup')";
  const engine::InstanceHealth* primary = nullptr;
  for (const auto& h : r.instances) {
    if (h.writable && h.role == engine::InstanceRole::kPrimary && primary == nullptr)
      primary = &h;
  }
  if (primary != nullptr) {
    for (const auto& h : r.instances) {
      if (&h == primary)
        continue;
      std::string why = engine::AuthorityObjection(r, h, *primary, /*split_brain_forced=*/true);
      if (why.find("authority") != std::string::npos) {
        return core::Status(core::ErrorCode::kSafetyStop,
                            "refusing to restore: " + why +
                                "; the restore would rewrite the primary and re-clone it away",
                            "back up '" + h.instance.name + "' and make it the primary first");
      }
    }
  }
  if (confirm_rewind)
    return core::Status::Ok();
  if (r.verdict == engine::Verdict::kSplitBrain) {
    return core::Status(core::ErrorCode::kSplitBrain,
                        "refusing to restore into a split-brain cluster: the restore would "
                        "rewind every diverged side",
                        hint);
  }
  for (const auto& h : r.instances) {
    if (h.state == engine::InstanceState::kUnknown) {
      return core::Status(core::ErrorCode::kConfirmationRequired,
                          "refusing to restore: '" + h.instance.name +
                              "' is UNKNOWN and may hold newer data than the snapshot; the "
                              "restore would rewind " +
                              (primary ? LivePosition(*primary) : "the cluster"),
                          hint);
    }
  }
  return core::Status::Ok();
}

}  // namespace hasteward::jobs
