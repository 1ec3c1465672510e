#include "engine/mariadb/held_data_judge.h"

#include <charconv>
#include <optional>

#include "engine/mariadb/gtid_compare.h"

namespace hasteward::engine::mariadb {

namespace {

std::string Value(const std::map<std::string, std::string>& facts, const char* key) {
  auto it = facts.find(key);
  return it == facts.end() ? std::string() : it->second;
}

std::optional<long long> Seqno(const std::string& text) {
  long long value = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size())
    return std::nullopt;
  return value;
}

}  // namespace

HeldDataJudgement JudgeMariadbHeldData(const InstanceHealth& held,
                                       const std::map<std::string, std::string>& replacement) {
  if (!held.readable()) {
    return {HeldData::kUnknown, std::string("a position that cannot be read (") +
                                    InstanceStateName(held.state) +
                                    ": the GTID position is read from the running server)"};
  }
  // A primary's own binlog is what it committed; a replica's current position includes what it
  // applied from its primary.
  const bool primary = held.role == InstanceRole::kPrimary && held.facts.count("gtid_binlog_pos");
  const std::string mine = held.Fact(primary ? "gtid_binlog_pos" : "gtid_current_pos");
  HeldDataJudgement out{HeldData::kUnknown, "GTID " + (mine.empty() ? "(empty)" : mine)};
  const auto theirs = replacement.find("gtid_position");
  if (theirs == replacement.end() || !IsWellFormedGtidList(mine) ||
      !IsWellFormedGtidList(theirs->second)) {
    return out;
  }
  switch (CompareGtidPositions(mine, theirs->second)) {
    case GtidOrder::kEqual:
    case GtidOrder::kBehind: out.held = HeldData::kNotNewer; break;
    case GtidOrder::kAhead:
    case GtidOrder::kDiverged: out.held = HeldData::kNewer; break;
  }
  return out;
}

HeldDataJudgement JudgeGaleraHeldData(const InstanceHealth& held,
                                      const std::map<std::string, std::string>& replacement) {
  const std::string uuid = held.Fact("position_uuid");
  const auto seqno = Seqno(held.Fact("position_seqno"));
  const auto theirs = Seqno(Value(replacement, "wsrep_seqno"));
  const std::string theirs_uuid = Value(replacement, "wsrep_uuid");
  if (uuid.empty() || !seqno || *seqno < 0 || !theirs || theirs_uuid.empty()) {
    // A point-in-time restore names its end by GTID only.
    if (held.readable() && replacement.count("gtid_position"))
      return JudgeMariadbHeldData(held, replacement);
    std::string why = held.Fact("position_error");
    return {HeldData::kUnknown,
            "an unreadable Galera position" + (why.empty() ? "" : " (" + why + ")")};
  }
  HeldDataJudgement out{HeldData::kUnknown,
                        "seqno " + std::to_string(*seqno) + " of cluster " + uuid};
  if (uuid != theirs_uuid) {
    out.position += " (another cluster than the backup's " + theirs_uuid + ")";
    return out;
  }
  out.held = *seqno > *theirs ? HeldData::kNewer : HeldData::kNotNewer;
  return out;
}

}  // namespace hasteward::engine::mariadb
