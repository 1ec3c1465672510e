// The tags of a repository's newest snapshot, read by stock restic: what a test asserts a backup
// recorded (read=, reason=, parent=, timeline=, ...).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "support/hasteward_env.h"

namespace hasteward::testing {

// The newest snapshot's key=value tags (a tag without '=' maps to ""), plus "id"; `filter` are
// restic's own flags ({"--tag", "method=native"}). Empty when the repository holds none.
std::map<std::string, std::string> NewestSnapshotTags(const HastewardEnv& hs,
                                                      const std::vector<std::string>& filter = {});

}  // namespace hasteward::testing
