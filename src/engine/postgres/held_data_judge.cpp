#include "engine/postgres/held_data_judge.h"

#include <cstdlib>

#include "engine/postgres/triage_timeline.h"

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
  const unsigned long theirs_tli =
      std::strtoul(Value(replacement, "timeline").c_str(), nullptr, 10);
  if (!stop || theirs_tli == 0)
    return out;
  const unsigned long mine_tli = std::strtoul(tli_text.c_str(), nullptr, 10);
  // A later timeline is a history the replacing data does not know, wherever it stands. On the
  // same or an earlier timeline, WAL past the replacement's end is newer.
  const bool newer = mine_tli > theirs_tli || (data_end ? *data_end : *lsn) > *stop;
  if (newer) {
    out.held = HeldData::kNewer;
  } else if (data_end || (source != "checkpoint" && source != "last_record")) {
    out.held = HeldData::kNotNewer;
  }
  // else: a lower bound only; commits after it may lie past the replacement.
  return out;
}

}  // namespace hasteward::engine::postgres
