// Where HASteward keeps its local state (triage records, verify run directories, the default
// inventory), whatever platform the clusters live on.
#pragma once

#include <string>

namespace hasteward::platform {

// $HASTEWARD_STATE_DIR, else $XDG_STATE_HOME/hasteward, else ~/.local/state/hasteward.
std::string DefaultStateDir();

// $HASTEWARD_INVENTORY, else <DefaultStateDir()>/inventory.yaml.
std::string DefaultInventoryPath();

}  // namespace hasteward::platform
