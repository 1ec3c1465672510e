#include "engine/postgres/history_file.h"

#include <sstream>

#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine::postgres {

namespace {

core::Status Malformed(const std::string& line, const std::string& why) {
  return core::Corruption("timeline history line '" + line + "' is not valid: " + why);
}

bool IsDecimal(const std::string& text) {
  return !text.empty() && text.size() <= 10 &&
         text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

core::Result<std::vector<TimelineBranch>> ParseHistoryFile(const std::string& text) {
  std::vector<TimelineBranch> branches;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string parent;
    std::string position;
    if (!(fields >> parent) || parent[0] == '#') {
      continue;  // blank or comment
    }
    if (!(fields >> position)) {
      return Malformed(line, "expected a timeline and a WAL position");
    }
    std::optional<uint64_t> lsn = ParseLsn(position);
    uint64_t timeline = IsDecimal(parent) ? std::stoull(parent) : 0;
    if (timeline == 0 || timeline > UINT32_MAX || !lsn) {
      return Malformed(line, "expected a timeline and a WAL position");
    }
    if (!branches.empty() && timeline <= branches.back().parent) {
      return Malformed(line, "timelines must increase");
    }
    branches.push_back(TimelineBranch{static_cast<uint32_t>(timeline), *lsn});
  }
  return branches;
}

}  // namespace hasteward::engine::postgres
