#include "cli/commands.h"

namespace hasteward::cli {

// `backup list|export|prune` (newer HASteward releases) are the same commands as `get backups`,
// `export` and `prune`, so scripts written for either form keep working.
void RegisterGroupedBackupVerbs(CLI::App& backup, GlobalOptions& g, CommandOutcome& out) {
  AddListBackupsCommand(backup, "list", g, out);
  AddExportCommand(backup, "export", g, out);
  AddPruneCommand(backup, "prune", g, out);
}

}  // namespace hasteward::cli
