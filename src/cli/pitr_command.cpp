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
#include "engine/archiving.h"
#include "engine/binlog_archiving.h"
#include "pitr/binlog/binlog_archive.h"
#include "pitr/binlog/binlog_backlog.h"
#include "pitr/wal/wal_status.h"

namespace hasteward::cli {

namespace {

core::Status RunArchiveEnable(const GlobalOptions& g, const std::string& agent_socket) {
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  engine::Archiving* archiving = ctx.target.engine().archiving();
  if (archiving == nullptr) {
    return engine::Unsupported(ctx.target.engine(), "WAL archiving (point-in-time recovery)");
  }
  HS_ASSIGN_OR_RETURN(engine::ArchiveCommands commands,
                      ServerArchiveCommands(g, ctx.target.cluster(), agent_socket));
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

struct BinlogFlags {
  bool follow = false;
  std::string interval = "1";
};

// Errors a following archiver waits out: the writer or the repository is away for a while
// (a switchover, a restart, an outage). Everything else stops it.
bool Transient(core::ErrorCode code) {
  return code == core::ErrorCode::kUnreachable || code == core::ErrorCode::kStorage ||
         code == core::ErrorCode::kLocked || code == core::ErrorCode::kTimeout;
}

void PrintCycle(const GlobalOptions& g, const pitr::BinlogCycleResult& cycle) {
  if (g.WantsJson()) {
    nlohmann::json json = {{"ok", true},
                           {"writer", cycle.writer},
                           {"pieces", cycle.pieces},
                           {"bytes", cycle.bytes},
                           {"transactions", cycle.transactions},
                           {"snapshot", cycle.snapshot_id},
                           {"archived_gtid", cycle.archived_state},
                           {"last_transaction_time", cycle.last_transaction_time},
                           {"files_behind", cycle.files_behind},
                           {"bytes_behind", cycle.bytes_behind},
                           {"listed_at", static_cast<double>(cycle.listed_at_ns) / 1e9}};
    std::printf("%s\n", json.dump().c_str());
  } else if (!g.quiet) {
    std::printf(
        "archived %zu transactions (%zu pieces, %llu bytes) from '%s'; archive reaches %s\n",
        cycle.transactions, cycle.pieces, static_cast<unsigned long long>(cycle.bytes),
        cycle.writer.c_str(),
        cycle.archived_state.empty() ? "(nothing)" : cycle.archived_state.c_str());
  }
  std::fflush(stdout);
}

// A failed cycle under --follow --json: one line with the error and the writer's backlog measured
// against what the archive held after the last successful cycle (null when unknown: no cycle
// succeeded yet, or the writer is away too). serve reads it to show the lag growing during a
// repository outage, when no cycle completes.
void PrintFailedCycle(const GlobalOptions& g, const core::Status& error,
                      const core::Result<pitr::BinlogBacklog>& backlog) {
  if (!g.WantsJson()) {
    return;
  }
  nlohmann::json json = {{"ok", false},
                         {"error", error.message()},
                         {"code", core::ErrorCodeName(error.code())},
                         {"writer", backlog.ok() ? backlog->writer : ""},
                         {"pieces", 0},
                         {"transactions", 0},
                         {"files_behind", nullptr},
                         {"bytes_behind", nullptr}};
  if (backlog.ok()) {
    json["files_behind"] = backlog->files_behind;
    json["bytes_behind"] = backlog->bytes_behind;
  }
  std::printf("%s\n", json.dump().c_str());
  std::fflush(stdout);
}

core::Result<pitr::BinlogBacklog> Backlog(const ClusterContext& ctx,
                                          engine::BinlogArchiving& binlogs,
                                          const pitr::BinlogArchiver& archiver) {
  if (archiver.catalog() == nullptr) {
    return core::Status(core::ErrorCode::kNotFound, "no archiving cycle has read the archive yet");
  }
  return pitr::MeasureBinlogBacklog(ctx.target.platform(), ctx.target.cluster(), binlogs,
                                    *archiver.catalog());
}

core::Status RunArchiveBinlog(const GlobalOptions& g, const BinlogFlags& f) {
  HS_TRY(RefuseDryRun(g, "archive binlog", "it only copies binlogs into the repository",
                      "run 'hasteward pitr status' to see what is archived"));
  HS_ASSIGN_OR_RETURN(std::chrono::seconds interval, ParseDuration("--interval", f.interval));
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  engine::BinlogArchiving* binlogs = ctx.target.engine().binlog_archiving();
  if (binlogs == nullptr) {
    return engine::Unsupported(ctx.target.engine(), "binlog archiving (use 'archive enable')");
  }
  HS_ASSIGN_OR_RETURN(auto repo, OpenRepository(g));
  pitr::BinlogArchiver archiver(*repo, ctx.target.platform(), ctx.target.cluster(), *binlogs, {});
  while (true) {
    auto cycle = archiver.RunCycle();
    // A cycle reads at most read_bytes of each file: a backlog bigger than that (the first run on
    // a busy server, catching up after an outage) takes several cycles, run back to back. Without
    // it a one-shot run archived only the backlog's first 64 MiB and said nothing.
    bool cut_short = false;
    if (cycle.ok()) {
      PrintCycle(g, *cycle);
      cut_short = cycle->pieces > 0 && cycle->files_cut_short > 0;
    } else if (!f.follow || !Transient(cycle.status().code())) {
      return cycle.TakeStatus().Wrap("archive the binlogs of '" + ctx.target.cluster().ns + "/" +
                                     ctx.target.cluster().name + "'");
    } else {
      core::LogWarn("binlog archiving cycle failed; retrying: " + cycle.status().ToString());
      PrintFailedCycle(g, cycle.status(), Backlog(ctx, *binlogs, archiver));
    }
    if (cut_short) {
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
  HS_ASSIGN_OR_RETURN(
      pitr::RenderedPitrStatus status,
      pitr::ReadClusterPitrStatus(*repo, ctx.target.cluster(), ctx.target.engine()));
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
  enable->callback([&g, &out, agent_socket] { out.status = RunArchiveEnable(g, *agent_socket); });
  auto binlog_flags = std::make_shared<BinlogFlags>();
  auto* binlog = archive->add_subcommand(
      "binlog",
      "MariaDB/Galera: copy the binlog of the instance that writes now into the repository, "
      "whole transactions only, the active file's tail included; with --follow, every "
      "--interval until stopped (a switchover or failover is followed at the next cycle)");
  binlog->add_flag("--follow", binlog_flags->follow, "Keep archiving until SIGINT/SIGTERM");
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
