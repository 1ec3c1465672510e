#include "engine/mariadb/gtid_compare.h"

#include <sstream>

#include "engine/mariadb/triage.h"

namespace hasteward::engine::mariadb {

const char* GtidOrderName(GtidOrder order) {
  switch (order) {
    case GtidOrder::kEqual: return "equal";
    case GtidOrder::kBehind: return "behind";
    case GtidOrder::kAhead: return "ahead";
    case GtidOrder::kDiverged: return "diverged";
  }
  return "unknown";
}

GtidOrder CompareGtidPositions(const std::string& mine, const std::string& theirs) {
  auto left = ParseGtidList(mine);
  auto right = ParseGtidList(theirs);
  bool has_more = false;
  bool has_less = false;
  for (const auto& [domain, position] : left) {
    auto other = right.find(domain);
    long other_seqno = other == right.end() ? 0 : other->second.second;
    if (other != right.end() && other_seqno == position.second &&
        other->second.first != position.first) {
      return GtidOrder::kDiverged;
    }
    has_more = has_more || position.second > other_seqno;
    has_less = has_less || position.second < other_seqno;
  }
  for (const auto& [domain, position] : right) {
    if (left.count(domain) == 0 && position.second > 0)
      has_less = true;
  }
  if (has_more && has_less)
    return GtidOrder::kDiverged;
  if (has_more)
    return GtidOrder::kAhead;
  return has_less ? GtidOrder::kBehind : GtidOrder::kEqual;
}

bool IsWellFormedGtidList(const std::string& text) {
  std::istringstream in(text);
  std::string item;
  size_t entries = 0;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \n"));
    while (!item.empty() && (item.back() == ' ' || item.back() == '\n'))
      item.pop_back();
    if (item.empty())
      return false;
    if (ParseGtidList(item).size() != 1 ||
        item.find_first_not_of("0123456789-") != std::string::npos)
      return false;
    ++entries;
  }
  return entries > 0 || text.find_first_not_of(" \n") == std::string::npos;
}

}  // namespace hasteward::engine::mariadb
