// catalog/postgres: WAL positions and timeline histories as a base backup's tags record them
// (catalog/positions.h); the comparator is engine/wal_history.h's.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "catalog/positions.h"

namespace hasteward::catalog {

core::Result<std::vector<engine::TimelineBranch>> ParseTimelineHistoryFact(
    const std::string& text) {
  std::vector<engine::TimelineBranch> history;
  for (size_t at = 0; at < text.size();) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string entry = text.substr(at, comma - at);
    const size_t colon = entry.find(':');
    const std::string parent = entry.substr(0, colon);
    std::optional<uint64_t> lsn =
        colon == std::string::npos ? std::nullopt : ParseLsnText(entry.substr(colon + 1));
    if (!lsn || parent.empty() || parent.size() > 9 ||
        parent.find_first_not_of("0123456789") != std::string::npos) {
      return core::Status(core::ErrorCode::kCorruption,
                          "timeline history entry '" + entry + "' is not <timeline>:<lsn>",
                          "the snapshot's tags were not written by hasteward or were edited; "
                          "'hasteward get backups' shows them");
    }
    history.push_back({static_cast<uint32_t>(std::stoul(parent)), *lsn});
    at = comma + 1;
  }
  return history;
}

std::string FormatTimelineHistoryFact(const std::vector<engine::TimelineBranch>& history) {
  std::string text;
  for (const engine::TimelineBranch& branch : history) {
    text += (text.empty() ? "" : ",") + std::to_string(branch.parent) + ":" +
            FormatLsnText(branch.switch_position);
  }
  return text;
}

}  // namespace hasteward::catalog
