#include "cli/commands.h"

namespace hasteward::cli {

// `backup list|export` (newer HASteward releases) are the same commands as `get backups` and
// `export`, so scripts written for either form keep working.
void RegisterGroupedBackupVerbs(CLI::App& backup, GlobalOptions& g, CommandOutcome& out) {
  AddListBackupsCommand(backup, "list", g, out);
  AddExportCommand(backup, "export", g, out);
}

}  // namespace hasteward::cli
