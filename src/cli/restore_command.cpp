#include <cstdio>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/duration_flag.h"
#include "cli/json_messages.h"
#include "cli/progress.h"
#include "cli/repo_access.h"
#include "cli/restore_flags.h"
#include "cli/snapshot_filter.h"
#include "cli/wal_identity.h"
#include "jobs/jobs.h"

namespace hasteward::cli {

// --users applies to the MariaDB family; PostgreSQL restores roles as pg_dumpall wrote them, so
// the flag is refused there rather than silently ignored.
core::Result<engine::UsersMode> UsersModeFor(const ClusterContext& ctx, const RestoreFlags& f) {
  if (f.users.empty())
    return engine::UsersMode::kCreateMissing;
  if (!ctx.target.engine().HasSelectableAccounts()) {
    return core::Usage("--users applies to mariadb and galera clusters",
                       "a cnpg restore recreates the roles of the dump (pg_dumpall --clean); drop "
                       "--users");
  }
  return engine::ParseUsersMode(f.users);
}

core::Result<pitr::PointRestoreRequest> PointRestoreRequestFor(const GlobalOptions& g,
                                                               const RestoreFlags& f,
                                                               const ClusterContext& ctx,
                                                               const pitr::Archive& archive) {
  if (f.snapshot != "latest" || f.instance >= 0 || !f.type.empty()) {
    return core::Usage("a point-in-time restore chooses its base backup itself",
                       "drop --snapshot, -t and -i; 'hasteward pitr status' shows the windows");
  }
  pitr::UntilFlags until;
  until.time = f.until;
  until.positions = {{"--until-lsn", f.until_lsn}, {"--until-gtid", f.until_gtid}};
  pitr::PointRestoreRequest request;
  HS_ASSIGN_OR_RETURN(request.point, pitr::ParseUntil(until, archive));
  platform::Cluster archived = ctx.target.cluster();
  request.server_restore_command = [&g, archived]() -> core::Result<std::string> {
    HS_ASSIGN_OR_RETURN(engine::ArchiveCommands commands, ServerArchiveCommands(g, archived));
    return commands.restore_command;
  };
  HS_TRY(archive.CheckRequest(request));
  request.confirm_overwrite = f.confirm_overwrite;
  request.force = f.force;
  request.confirm_rewind = f.confirm_rewind;
  request.heal.stamp = jobs::JobStamp(core::SystemClock::Get().NowUnixSeconds());
  HS_ASSIGN_OR_RETURN(request.heal.heal_timeout, ParseDuration("--heal-timeout", f.heal_timeout));
  return request;
}

std::function<core::Status(const std::map<std::string, std::string>&)> ArchiveRecordOfRestore(
    const ClusterContext& ctx, repo::Repository& repo) {
  auto archive = pitr::MakeArchive(ctx.target.engine());
  if (!archive.ok()) {
    return {};  // no archive of this engine: nothing to tell
  }
  std::shared_ptr<pitr::Archive> kept = std::move(*archive);
  const platform::Cluster& cluster = ctx.target.cluster();
  return [kept, &repo, &cluster](const std::map<std::string, std::string>& facts) {
    return kept->BeforeRestoredWrites(repo, cluster, facts);
  };
}

namespace {

void PrintPointRestored(const GlobalOptions& g, const platform::Cluster& cluster,
                        const pitr::PointRestoreOutcome& outcome) {
  std::string base = repo::IdToHex(outcome.base.id);
  if (g.WantsJson()) {
    PrintJsonLine(stdout, RestoreResultMessage{.restored = base,
                                               .cluster = cluster.name,
                                               .ns = cluster.ns,
                                               .bytes = outcome.bytes,
                                               .instant = outcome.instant});
    return;
  }
  if (g.quiet)
    return;
  std::printf("restored base %s into %s/%s and %s\n", base.substr(0, 8).c_str(), cluster.ns.c_str(),
              cluster.name.c_str(), outcome.summary.c_str());
  if (outcome.instant) {
    std::printf("  instant: writable after %.1f s, hydrated in %.1f s, paused %.1f s\n",
                outcome.instant->writable_seconds, outcome.instant->hydrate_seconds,
                outcome.instant->pause_seconds);
  }
}

// Through the cluster's archive (WAL or binlogs): the newest base before the point plus the
// archive replayed to it.
core::Status RunPointRestore(const GlobalOptions& g, const RestoreFlags& f, ClusterContext& ctx) {
  HS_ASSIGN_OR_RETURN(auto archive,
                      pitr::MakeArchive(ctx.target.engine(), "point-in-time restores (--until)"));
  HS_ASSIGN_OR_RETURN(pitr::PointRestoreRequest request,
                      PointRestoreRequestFor(g, f, ctx, *archive));
  if (f.instant) {
    HS_ASSIGN_OR_RETURN(request.instant, InstantOptionsFor(g, f));
  }
  HS_TRY(RefuseDryRun(g, "restore --until", "the base backup is chosen when the archive is read",
                      "run 'hasteward pitr status' to see which base and window apply"));
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  HS_ASSIGN_OR_RETURN(pitr::PointRestoreOutcome outcome,
                      archive->RestoreToPoint(ctx.target, *r, request));
  PrintPointRestored(g, ctx.target.cluster(), outcome);
  return core::Status::Ok();
}

core::Status RunRestore(const GlobalOptions& g, const RestoreFlags& f) {
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  if (f.into_sandbox) {
    return RunRestoreIntoSandbox(g, f, ctx);
  }
  // A point-in-time restore serves its base when --instant is given (RunPointRestore).
  if (f.point()) {
    return RunPointRestore(g, f, ctx);
  }
  if (f.instant) {
    return RunInstantRestore(g, f, ctx);
  }
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  jobs::ClusterRestoreOptions opts;
  opts.snapshot = f.snapshot;
  HS_ASSIGN_OR_RETURN(opts.type, SnapshotTypeFor(f.snapshot, f.type, f.instance));
  opts.instance = f.instance;
  HS_ASSIGN_OR_RETURN(opts.method, jobs::ParseSnapshotMethod(f.method));
  opts.engine_options.confirm_overwrite = f.confirm_overwrite;
  HS_ASSIGN_OR_RETURN(opts.engine_options.users, UsersModeFor(ctx, f));
  opts.confirm_rewind = f.confirm_rewind;
  opts.force = f.force;
  opts.stamp = jobs::JobStamp(core::SystemClock::Get().NowUnixSeconds());
  HS_ASSIGN_OR_RETURN(opts.heal_timeout, ParseDuration("--heal-timeout", f.heal_timeout));
  opts.before_first_write = ArchiveRecordOfRestore(ctx, *r);
  if (g.dry_run) {
    // The snapshot decides the plan: a native one replaces a data directory, a dump is loaded.
    HS_ASSIGN_OR_RETURN(auto preview, jobs::PreviewRestore(ctx.target, *r, opts));
    std::string users =
        preview.native || !ctx.target.engine().HasSelectableAccounts()
            ? ""
            : std::string("; users: ") + engine::UsersModeName(opts.engine_options.users);
    std::printf("would restore %s snapshot %s into instance '%s' (%s%s)\n",
                preview.native ? "native" : "dump",
                repo::IdToHex(preview.snapshot.id).substr(0, 8).c_str(), preview.target.c_str(),
                preview.reason.c_str(), users.c_str());
    return core::Status::Ok();
  }
  ProgressPrinter progress(g, "restore");
  opts.progress = [&progress](uint64_t done, uint64_t total, double secs) {
    progress.Update(done, total, secs);
  };
  auto result = jobs::RestoreCluster(ctx.target, *r, opts);
  progress.Finish();
  if (!result.ok()) {
    core::Status s = result.TakeStatus();
    if (s.code() == core::ErrorCode::kConfirmationRequired &&
        s.hint().find("--confirm-rewind") == std::string::npos &&
        s.hint().find("--confirm-overwrite") == std::string::npos) {
      s.WithHint("restore replaces the databases in the dump; pass --confirm-overwrite");
    }
    return s;
  }
  if (g.WantsJson()) {
    PrintJsonLine(stdout, RestoreResultMessage{.restored = repo::IdToHex(result->snapshot.id),
                                               .cluster = ctx.target.cluster().name,
                                               .ns = ctx.target.cluster().ns,
                                               .bytes = result->bytes,
                                               .instant = std::nullopt});
  } else if (!g.quiet) {
    std::printf("restored snapshot %s (%s) into %s/%s\n",
                repo::IdToHex(result->snapshot.id).substr(0, 8).c_str(),
                HumanBytes(result->bytes).c_str(), ctx.target.cluster().ns.c_str(),
                ctx.target.cluster().name.c_str());
  }
  return core::Status::Ok();
}

}  // namespace

void RegisterRestoreCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<RestoreFlags>();
  auto* cmd = app.add_subcommand(
      "restore",
      "Restore a backup into a cluster. DESTRUCTIVE: every database in the dump is dropped and "
      "recreated (see docs/restore.md); needs --confirm-overwrite when the target holds data");
  cmd->add_option("--snapshot", flags->snapshot,
                  "Snapshot ID, prefix or 'latest' (env HASTEWARD_SNAPSHOT)")
      ->envname("HASTEWARD_SNAPSHOT");
  cmd->add_option("-t,--type", flags->type, "Snapshot type for 'latest': backup|diverged");
  cmd->add_option("-m,--method", flags->method,
                  "Which backups 'latest' selects: dump, native or any (default) (env "
                  "HASTEWARD_BACKUP_METHOD, as for backup)")
      // Checked by ParseSnapshotMethod when restore runs: CLI11 checks an env-fed option of every
      // subcommand, and the variable may hold a backup method meant for another command.
      ->envname("HASTEWARD_BACKUP_METHOD");
  cmd->add_option("-i,--instance", flags->instance,
                  "Restore the diverged capture of instance N (env HASTEWARD_INSTANCE)")
      ->envname("HASTEWARD_INSTANCE");
  cmd->add_flag("--confirm-overwrite,--yes", flags->confirm_overwrite,
                "Allow replacing the databases that the dump contains (a native snapshot: the "
                "target's data directory, and re-cloning the other instances from it)");
  cmd->add_flag("--force", flags->force,
                "Native snapshots: restore one whose system identifier or major version differs "
                "from the target's data directory");
  cmd->add_option("--users", flags->users,
                  "MariaDB/Galera: what happens to the users and grants in the dump: "
                  "create-missing (default: create the accounts the target lacks, leave existing "
                  "ones as they are), replace (recreate every account of the dump with its "
                  "password and grants), skip (restore no account). The account HASteward "
                  "connects as, the replication user and root are never touched")
      ->check(CLI::IsMember({"skip", "create-missing", "replace"}));
  cmd->add_option("--until", flags->until,
                  "Point-in-time: replay archived WAL onto the newest native base backup up to "
                  "this RFC 3339 time (refused before anything changes when the archive cannot "
                  "reach it)");
  cmd->add_option("--until-lsn", flags->until_lsn,
                  "Point-in-time: as --until, up to this WAL position (e.g. 0/3000A38)");
  cmd->add_option("--until-gtid", flags->until_gtid,
                  "Point-in-time, MariaDB/Galera: replay archived binlogs onto the newest native "
                  "base backup up to and including this GTID position (e.g. 0-1-42)");
  cmd->add_flag("--confirm-rewind", flags->confirm_rewind,
                "Restore even though an instance holds data newer than the snapshot or point in "
                "time, or of unknown position, or triage found a split-brain (the restore "
                "rewinds it; a native or point-in-time restore first keeps that data: running "
                "instances captured as diverged snapshots, data directories moved aside)");
  cmd->add_option("--heal-timeout", flags->heal_timeout,
                  "Native and point-in-time restores: time the restored instance has to start "
                  "and each rebuilt one to catch up (default 600s; env HASTEWARD_HEAL_TIMEOUT)")
      ->envname("HASTEWARD_HEAL_TIMEOUT");
  cmd->add_flag(
      "--instant", flags->instant,
      "Native snapshots: start the instance on the snapshot itself (a FUSE mount under "
      "an overlay), writable in seconds whatever the size, then copy it to local disk "
      "in the background and move the instance there at one short restart. Stays in "
      "the foreground until then; a rerun finishes a killed one. With --until*, the base is "
      "served and the archive replayed onto it before any write; with --into-sandbox, the "
      "new sandbox is served this way (docs/instant-restore.md)");
  auto* sandbox = cmd->add_option(
      "--into-sandbox", flags->sandbox_name,
      "Restore into a new local sandbox cluster named SANDBOX_NAME (default <cluster>-restore, in "
      "the cluster's namespace) that is left running to be inspected; the cluster itself is not "
      "touched. 'hasteward sandbox down' removes it");
  sandbox->expected(0, 1)->type_name("[SANDBOX_NAME]");
  cmd->callback([&g, &out, flags, sandbox] {
    flags->into_sandbox = sandbox->count() > 0;
    out.status = RunRestore(g, *flags);
  });
}

}  // namespace hasteward::cli
