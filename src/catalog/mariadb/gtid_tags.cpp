// catalog/mariadb: GTID lists in snapshot tags (catalog/positions.h). A position of several
// domains is stored split at its commas, as restic splits --tag values ("gtid_position=0-1-42",
// "1-1-7": the writer normalizes tags like restic, repo::NormalizeTags).
#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

#include "catalog/positions.h"

namespace hasteward::catalog {

namespace {

// The domain of one "domain-server-seqno" entry.
std::optional<uint32_t> DomainOf(std::string_view entry) {
  while (!entry.empty() && entry.front() == ' ')
    entry.remove_prefix(1);
  uint32_t domain = 0;
  auto parsed = std::from_chars(entry.data(), entry.data() + entry.size(), domain);
  if (parsed.ec != std::errc() || parsed.ptr == entry.data() ||
      parsed.ptr == entry.data() + entry.size() || *parsed.ptr != '-')
    return std::nullopt;
  return domain;
}

// Every domain of a GTID list; `separator` is ',' (or '+' in the binlog archive's tags, where a
// comma would split the tag on restic's command line).
void AddDomains(std::string_view list, char separator, std::optional<uint32_t>& newest) {
  while (!list.empty()) {
    size_t end = std::min(list.find(separator), list.size());
    if (auto domain = DomainOf(list.substr(0, end)))
      newest = newest ? std::max(*newest, *domain) : *domain;
    list.remove_prefix(std::min(end + 1, list.size()));
  }
}

// The GTID list a tag carries, and its separator; empty when it carries none.
std::pair<std::string_view, char> GtidListOf(std::string_view tag) {
  size_t eq = tag.find('=');
  if (eq == std::string_view::npos)
    return {{}, ','};
  std::string_view key = tag.substr(0, eq);
  std::string_view value = tag.substr(eq + 1);
  if (key == "gtid_position" || key == "gtid_slave_pos")
    return {value, ','};
  if (key == "binlog_rewind_state")
    return {value, '+'};
  if (key == "binlog_piece") {
    // "<start>-<end>/<sealed|open>/<archived_at_ns>/<last_time>/<state after>/<file key>"
    for (int field = 0; field < 4; ++field) {
      size_t slash = value.find('/');
      value = slash == std::string_view::npos ? std::string_view() : value.substr(slash + 1);
    }
    return {value.substr(0, value.find('/')), '+'};
  }
  return {{}, ','};
}

// "1-1-7": a domain, a server id and a sequence number, nothing else.
bool IsBareGtidView(std::string_view tag) {
  int dashes = 0;
  for (char c : tag) {
    if (c == '-') {
      ++dashes;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dashes == 2 && DomainOf(tag).has_value() && tag.back() != '-' &&
         tag.find("--") == std::string_view::npos;
}

}  // namespace

bool IsBareGtid(const std::string& tag) {
  return IsBareGtidView(tag);
}

std::optional<std::string> GtidTagValue(const std::vector<std::string>& tags,
                                        const std::string& key) {
  const std::string prefix = key + "=";
  for (size_t i = 0; i < tags.size(); ++i) {
    if (tags[i].rfind(prefix, 0) != 0)
      continue;
    std::string value = tags[i].substr(prefix.size());
    for (size_t next = i + 1; next < tags.size() && IsBareGtidView(tags[next]); ++next)
      value += (value.empty() ? "" : ",") + tags[next];
    return value;
  }
  return std::nullopt;
}

std::optional<uint32_t> NewestGtidDomain(const std::vector<repo::Snapshot>& snapshots) {
  std::optional<uint32_t> newest;
  for (const auto& snapshot : snapshots) {
    for (const auto& tag : snapshot.tags) {
      auto [list, separator] = GtidListOf(tag);
      AddDomains(list, separator, newest);
      if (IsBareGtidView(tag))  // a further domain of a split position (GtidTagValue)
        AddDomains(tag, ',', newest);
    }
  }
  return newest;
}

}  // namespace hasteward::catalog
