#pragma once

#include "cli/cli.h"

namespace hasteward::cli {

// Each command group registers its subcommands on the root app. The callbacks store their result
// in `out`. Add a new group here and in cli.cpp.
void RegisterVersionCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterRepoCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
// `repo key list|add|remove|passwd`, below `repo`.
void RegisterRepoKeyCommands(CLI::App& repo, GlobalOptions& g, CommandOutcome& out);
void RegisterBackupCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterExportCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
// `mount`: a snapshot as a read-only FUSE file tree.
void RegisterMountCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterGetCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterRestoreCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterInstanceCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterTriageCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterRepairCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterReconfigureCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
// `get status` without an operator config: the last triage of every known cluster.
core::Status ShowLastTriages(const GlobalOptions& g);
void RegisterPruneCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
// `switchover` and `failover`.
void RegisterSwitchoverCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out);

// Shared pieces for the grouped forms (`backup list|export|prune`).
void AddExportCommand(CLI::App& parent, const std::string& name, GlobalOptions& g,
                      CommandOutcome& out);
void AddListBackupsCommand(CLI::App& parent, const std::string& name, GlobalOptions& g,
                           CommandOutcome& out);
void AddPruneCommand(CLI::App& parent, const std::string& name, GlobalOptions& g,
                     CommandOutcome& out);
void RegisterGroupedBackupVerbs(CLI::App& backup, GlobalOptions& g, CommandOutcome& out);
void RegisterSandboxCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterVerifyCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
void RegisterServeCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
// `wal-push` / `wal-fetch` (the server's archive and restore commands).
void RegisterWalCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
// `wal-receive` (the synchronous WAL receiver).
void RegisterWalReceiveCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
// `archive enable` and `pitr status`.
void RegisterPitrCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
// `standby status` (cross-cluster DR standby).
void RegisterStandbyCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out);
// `get policies|repositories|status` (operator config and state).
void AddOperatorGetCommands(CLI::App& get, GlobalOptions& g, CommandOutcome& out);

}  // namespace hasteward::cli
