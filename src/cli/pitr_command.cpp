// `hasteward archive enable` (continuous WAL archiving into the repository) and `hasteward pitr
// status` (the recoverable window of every native base backup).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/repo_access.h"
#include "cli/wal_identity.h"
#include "engine/archiving.h"
#include "pitr/pitr_status.h"

namespace hasteward::cli {

namespace {

core::Status RunArchiveEnable(const GlobalOptions& g) {
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  engine::Archiving* archiving = ctx.target.engine().archiving();
  if (archiving == nullptr) {
    return engine::Unsupported(ctx.target.engine(), "WAL archiving (point-in-time recovery)");
  }
  HS_ASSIGN_OR_RETURN(engine::ArchiveCommands commands,
                      ServerArchiveCommands(g, ctx.target.cluster()));
  if (g.dry_run) {
    std::printf(
        "would set on the primary of %s/%s:\narchive_mode = on\narchive_command = %s\n"
        "restore_command = %s\n",
        ctx.target.cluster().ns.c_str(), ctx.target.cluster().name.c_str(),
        commands.archive_command.c_str(), commands.restore_command.c_str());
    return core::Status::Ok();
  }
  // The password must open the repository before the server is told to use it.
  HS_TRY(OpenRepository(g).status());
  HS_TRY(archiving->EnableArchiving(ctx.target.platform(), ctx.target.cluster(), commands)
             .Wrap("enable archiving on '" + ctx.target.cluster().ns + "/" +
                   ctx.target.cluster().name + "'"));
  if (!g.quiet) {
    std::printf("archiving %s/%s into %s\narchive_command = %s\n", ctx.target.cluster().ns.c_str(),
                ctx.target.cluster().name.c_str(), g.backups_path.c_str(),
                commands.archive_command.c_str());
  }
  return core::Status::Ok();
}

core::Status RunPitrStatus(const GlobalOptions& g) {
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  HS_ASSIGN_OR_RETURN(auto repo, OpenRepository(g));
  HS_ASSIGN_OR_RETURN(pitr::PitrStatus status,
                      pitr::ReadPitrStatus(*repo, ctx.target.cluster(), ctx.target.engine()));
  if (g.WantsJson()) {
    std::printf("%s\n", status.ToJson().dump().c_str());
  } else {
    std::printf("%s", status.ToText().c_str());
  }
  return core::Status::Ok();
}

}  // namespace

void RegisterPitrCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto* archive = app.add_subcommand("archive", "Continuous WAL archiving into the repository");
  archive->require_subcommand(1);
  archive
      ->add_subcommand("enable",
                       "Set archive_mode, archive_command (hasteward wal-push) and "
                       "restore_command (hasteward wal-fetch) on the cluster's primary, restart it "
                       "if needed, and prove a segment gets archived. Needs --password-file "
                       "readable by the database's OS user")
      ->callback([&g, &out] { out.status = RunArchiveEnable(g); });
  auto* pitr = app.add_subcommand("pitr", "Point-in-time recovery");
  pitr->require_subcommand(1);
  pitr->add_subcommand("status",
                       "Per native base backup: how far the archived WAL can replay it, and the "
                       "first gap")
      ->callback([&g, &out] { out.status = RunPitrStatus(g); });
}

}  // namespace hasteward::cli
