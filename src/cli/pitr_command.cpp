// `hasteward archive enable` (continuous WAL archiving into the repository) and `hasteward pitr
// status` (the recoverable window of every native base backup).
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/duration_flag.h"
#include "cli/repo_access.h"
#include "cli/wal_identity.h"
#include "core/log.h"
#include "core/stop_signal.h"
#include "pitr/archive.h"

namespace hasteward::cli {

namespace {

core::Status RunArchiveEnable(const GlobalOptions& g, const std::string& agent_socket,
                              bool synchronous) {
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  HS_ASSIGN_OR_RETURN(auto archive, pitr::MakeArchive(ctx.target.engine(),
                                                      "WAL archiving (point-in-time recovery)"));
  HS_ASSIGN_OR_RETURN(engine::ArchiveCommands commands,
                      ServerArchiveCommands(g, ctx.target.cluster(), agent_socket));
  commands.synchronous_receiver = synchronous;
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
  HS_TRY(archive->EnableServerArchiving(ctx.target.platform(), ctx.target.cluster(), commands)
             .Wrap("enable archiving on '" + ctx.target.cluster().ns + "/" +
                   ctx.target.cluster().name + "'"));
  if (!g.quiet) {
    std::printf("archiving %s/%s into %s\narchive_command = %s\n", ctx.target.cluster().ns.c_str(),
                ctx.target.cluster().name.c_str(), g.backups_path.c_str(),
                commands.archive_command.c_str());
  }
  return core::Status::Ok();
}

struct BinlogFlags {
  bool follow = false;
  std::string interval = "1";
  bool sync = false;
  std::string fallback_after = "10s";
};

// Errors a following archiver waits out: the writer or the repository is away for a while
// (a switchover, a restart, an outage). Everything else stops it.
bool Transient(core::ErrorCode code) {
  return code == core::ErrorCode::kUnreachable || code == core::ErrorCode::kStorage ||
         code == core::ErrorCode::kLocked || code == core::ErrorCode::kTimeout;
}

// `archive binlog --sync`: the semi-synchronous receiver (pitr/binlog/binlog_receiver.h), until
// SIGTERM/SIGINT. With --json one line per store and per reading of the writer's state.
core::Status RunBinlogReceiver(const GlobalOptions& g, const BinlogFlags& f) {
  HS_ASSIGN_OR_RETURN(std::chrono::seconds fallback_after,
                      ParseDuration("--fallback-after", f.fallback_after));
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  HS_ASSIGN_OR_RETURN(auto archive, pitr::MakeArchive(ctx.target.engine(), "binlog archiving"));
  HS_ASSIGN_OR_RETURN(auto repo, OpenReceiverRepository(g));
  core::InstallStopSignalHandlers();
  pitr::SyncReceiverOptions options;
  options.fallback_after = fallback_after;
  options.stop = [] {
    return core::StopSignal() != 0;
  };
  if (g.WantsJson()) {
    options.progress = [](const nlohmann::json& line) {
      std::printf("%s\n", line.dump().c_str());
      std::fflush(stdout);
    };
  }
  return archive->RunSyncReceiver(*repo, ctx.target.platform(), ctx.target.cluster(), options);
}

core::Status RunArchiveBinlog(const GlobalOptions& g, const BinlogFlags& f) {
  HS_TRY(RefuseDryRun(g, "archive binlog", "it only copies binlogs into the repository",
                      "run 'hasteward pitr status' to see what is archived"));
  if (f.sync) {
    return RunBinlogReceiver(g, f);
  }
  HS_ASSIGN_OR_RETURN(std::chrono::seconds interval, ParseDuration("--interval", f.interval));
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  HS_ASSIGN_OR_RETURN(auto archive, pitr::MakeArchive(ctx.target.engine(), "binlog archiving"));
  HS_ASSIGN_OR_RETURN(auto repo, OpenRepository(g));
  HS_ASSIGN_OR_RETURN(std::unique_ptr<pitr::ArchivePuller> puller,
                      archive->OpenPuller(*repo, ctx.target.platform(), ctx.target.cluster()));
  auto print = [&g](const std::string& json_line, const std::string& text) {
    if (g.WantsJson()) {
      std::printf("%s\n", json_line.c_str());
    } else if (!g.quiet) {
      std::printf("%s", text.c_str());
    }
    std::fflush(stdout);
  };
  while (true) {
    auto cycle = puller->RunCycle();
    bool more = false;
    if (cycle.ok()) {
      print(cycle->json_line, cycle->text);
      more = cycle->more;
    } else if (!f.follow || !Transient(cycle.status().code())) {
      return cycle.TakeStatus().Wrap("archive the binlogs of '" + ctx.target.cluster().ns + "/" +
                                     ctx.target.cluster().name + "'");
    } else {
      core::LogWarn("binlog archiving cycle failed; retrying: " + cycle.status().ToString());
      // serve reads these lines to show the lag growing while no cycle completes.
      if (g.WantsJson()) {
        print(puller->FailedCycle(cycle.status()).dump(), "");
      }
    }
    if (more) {
      HS_TRY(core::StopStatus());
      continue;
    }
    if (!f.follow) {
      return core::Status::Ok();
    }
    for (auto waited = std::chrono::milliseconds(0); waited < interval;
         waited += std::chrono::milliseconds(100)) {
      HS_TRY(core::StopStatus());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    HS_TRY(core::StopStatus());
  }
}

core::Status RunPitrStatus(const GlobalOptions& g) {
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  HS_ASSIGN_OR_RETURN(auto repo, OpenRepository(g));
  HS_ASSIGN_OR_RETURN(auto archive, pitr::MakeArchive(ctx.target.engine()));
  HS_ASSIGN_OR_RETURN(pitr::RenderedPitrStatus status,
                      archive->Status(*repo, ctx.target.cluster()));
  if (g.WantsJson()) {
    std::printf("%s\n", status.json.dump().c_str());
  } else {
    std::printf("%s", status.text.c_str());
  }
  return core::Status::Ok();
}

}  // namespace

void RegisterPitrCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto* archive = app.add_subcommand(
      "archive",
      "Continuous archiving into the repository: WAL (PostgreSQL), binlogs (MariaDB/Galera)");
  archive->require_subcommand(1);
  auto agent_socket = std::make_shared<std::string>();
  auto* enable = archive->add_subcommand(
      "enable",
      "Set archive_mode, archive_command (hasteward wal-push) and restore_command (hasteward "
      "wal-fetch) on the cluster's primary, restart it if needed, and prove a segment gets "
      "archived. Needs --password-file readable by the database's OS user");
  enable->add_option("--agent-socket", *agent_socket,
                     "Socket of a 'hasteward wal-agent' that wal-push hands its files to (it "
                     "archives alone when no agent answers)");
  auto synchronous = std::make_shared<bool>(false);
  enable->add_flag("--sync", *synchronous,
                   "Also make the running 'hasteward wal-receive' the primary's synchronous "
                   "standby (synchronous_commit = on): a commit is acknowledged once the "
                   "repository holds it. Refused when no receiver streams");
  enable->callback([&g, &out, agent_socket, synchronous] {
    out.status = RunArchiveEnable(g, *agent_socket, *synchronous);
  });
  auto binlog_flags = std::make_shared<BinlogFlags>();
  auto* binlog = archive->add_subcommand(
      "binlog",
      "MariaDB/Galera: copy the binlog of the instance that writes now into the repository, "
      "whole transactions only, the active file's tail included; with --follow, every "
      "--interval until stopped (a switchover or failover is followed at the next cycle)");
  binlog->add_flag("--follow", binlog_flags->follow, "Keep archiving until SIGINT/SIGTERM");
  binlog->add_flag("--sync", binlog_flags->sync,
                   "Recovery point zero: receive the binlog as a semi-synchronous replica and "
                   "acknowledge a commit only once the repository holds it (the writer waits for "
                   "that after syncing, AFTER_SYNC); runs until SIGINT/SIGTERM");
  binlog->add_option("--fallback-after", binlog_flags->fallback_after,
                     "--sync: the writer's bound on one commit's wait for the receiver "
                     "(rpl_semi_sync_master_timeout), then it commits asynchronously until the "
                     "receiver caught up (default 10s)");
  binlog->add_option("--interval", binlog_flags->interval,
                     "Time between cycles with --follow (default 1s)");
  binlog->callback([&g, &out, binlog_flags] { out.status = RunArchiveBinlog(g, *binlog_flags); });
  auto* pitr = app.add_subcommand("pitr", "Point-in-time recovery");
  pitr->require_subcommand(1);
  pitr->add_subcommand("status",
                       "Per native base backup: how far the archived WAL (PostgreSQL) or binlogs "
                       "(MariaDB/Galera) can replay it, and the first gap")
      ->callback([&g, &out] { out.status = RunPitrStatus(g); });
}

}  // namespace hasteward::cli
