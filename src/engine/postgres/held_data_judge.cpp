#include "engine/postgres/held_data_judge.h"

#include <cstdlib>
#include <optional>

#include "engine/postgres/triage_timeline.h"
#include "engine/wal_history.h"

namespace hasteward::engine::postgres {

namespace {

std::string Value(const std::map<std::string, std::string>& facts, const char* key) {
  auto it = facts.find(key);
  return it == facts.end() ? std::string() : it->second;
}

std::string SourceText(const std::string& source) {
  if (source == "end_of_wal")
    return "end of WAL";
  if (source == "checkpoint")
    return "last checkpoint; its WAL end could not be read";
  if (source == "last_record")
    return "start of its last WAL record";
  return source == "replay" ? "received" : "live";
}

// Where `held` data ends, on the timeline that holds that position: an ancestor's when the held
// server switched timelines after its last write (a restore's promotion with nothing written).
Lineage DataPoint(const Lineage& held) {
  for (const TimelineSwitch& s : held.history) {
    if (held.lsn <= s.switch_lsn) {
      return {s.parent, held.lsn, {}};
    }
  }
  return held;
}

// Where `lineage` left timeline `timeline` for its next one; nullopt when it never was on it.
std::optional<uint64_t> SwitchFrom(const Lineage& lineage, uint32_t timeline) {
  for (const TimelineSwitch& s : lineage.history) {
    if (s.parent == timeline) {
      return s.switch_lsn;
    }
  }
  return std::nullopt;
}

}  // namespace

HeldDataJudgement JudgePgHeldData(const InstanceHealth& held,
                                  const std::map<std::string, std::string>& replacement) {
  const std::string tli_text = held.Fact("lineage_timeline");
  const auto lsn = ParseLsn(held.Fact("position_lsn"));
  if (tli_text.empty() || !lsn) {
    std::string why = held.Fact("controldata_error");
    return {HeldData::kUnknown, "an unreadable position" + (why.empty() ? "" : " (" + why + ")")};
  }
  const std::string source = held.Fact("position_source");
  HeldDataJudgement out{HeldData::kUnknown, "timeline " + tli_text + " at " +
                                                held.Fact("position_lsn") + " (" +
                                                SourceText(source) + ")"};
  const std::string mine_id = held.Fact("system_identifier");
  const std::string theirs_id = Value(replacement, "system_identifier");
  if (!mine_id.empty() && !theirs_id.empty() && mine_id != theirs_id) {
    out.position += " of another cluster (system identifier " + mine_id + ")";
    return out;  // another history: nothing to compare with
  }
  // A stopped instance's WAL past its last transaction record holds no committed data (its
  // shutdown checkpoint, running-transaction records): what counts is where that record ends.
  const auto data_end = ParseLsn(held.Fact("data_end_lsn"));
  if (data_end) {
    out.position = "timeline " + tli_text + ", its last transaction ending at " +
                   held.Fact("data_end_lsn") + " (WAL to " + held.Fact("position_lsn") + ")";
  }
  const auto stop = ParseLsn(Value(replacement, "stop_lsn"));
  const auto theirs_tli =
      static_cast<uint32_t>(std::strtoul(Value(replacement, "timeline").c_str(), nullptr, 10));
  if (!stop || theirs_tli == 0)
    return out;
  // Histories, not positions: the held data is not newer only if the replacing data's history
  // passes through the point where the held data ends (the one comparator: engine/wal_history.h).
  // That point lies on the held timeline, or on an ancestor of it when nothing was written after
  // the held server switched timelines.
  const Lineage theirs{theirs_tli, *stop, ParseHistoryFact(Value(replacement, "timeline_history"))};
  const Lineage point =
      DataPoint({static_cast<uint32_t>(std::strtoul(tli_text.c_str(), nullptr, 10)),
                 data_end ? *data_end : *lsn, ParseHistoryFact(held.Fact("history"))});
  const PositionOrder order =
      CompareWalPositions({point.timeline, point.lsn}, HistoryBranches(point.history),
                          {theirs.timeline, theirs.lsn}, HistoryBranches(theirs.history));
  // Without the held timeline's history the comparator cannot say how the two relate, but a later
  // timeline is never on the replacing data's history: it holds at least its own start.
  if (order == PositionOrder::kUnknown && point.timeline < theirs.timeline) {
    out.position += "; the replacing data on timeline " + std::to_string(theirs.timeline) +
                    " records no timeline history, so where it left timeline " +
                    std::to_string(point.timeline) + " is unknown";
    return out;
  }
  const bool newer = order == PositionOrder::kAfter || order == PositionOrder::kDiverged ||
                     order == PositionOrder::kUnknown;
  if (order == PositionOrder::kDiverged) {
    std::optional<uint64_t> left = SwitchFrom(theirs, point.timeline);
    out.position += left ? ", past " + FormatLsn(*left) +
                               " where the replacing data's history left timeline " +
                               std::to_string(point.timeline) + " (another branch)"
                         : ", a timeline the replacing data's history never passed (another "
                           "branch)";
  }
  if (newer) {
    out.held = HeldData::kNewer;
  } else if (data_end || (source != "checkpoint" && source != "last_record")) {
    out.held = HeldData::kNotNewer;
  }
  // else: a lower bound only; commits after it may lie past the replacement.
  return out;
}

}  // namespace hasteward::engine::postgres
