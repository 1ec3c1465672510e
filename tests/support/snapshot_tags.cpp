#include "support/snapshot_tags.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hasteward::testing {

std::map<std::string, std::string> NewestSnapshotTags(const HastewardEnv& hs,
                                                      const std::vector<std::string>& filter) {
  std::vector<std::string> args = {"snapshots", "--json", "--latest", "1"};
  args.insert(args.end(), filter.begin(), filter.end());
  auto listed = hs.Restic(args);
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  std::map<std::string, std::string> tags;
  auto snaps = nlohmann::json::parse(listed.out.empty() ? "[]" : listed.out, nullptr, false);
  if (!snaps.is_array() || snaps.empty()) {
    return tags;
  }
  for (const auto& t : snaps.back()["tags"]) {
    std::string tag = t.get<std::string>();
    size_t eq = tag.find('=');
    tags[tag.substr(0, eq)] = eq == std::string::npos ? "" : tag.substr(eq + 1);
  }
  tags["id"] = snaps.back()["id"].get<std::string>();
  return tags;
}

}  // namespace hasteward::testing
