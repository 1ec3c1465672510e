#include <cstdio>

#include "catalog/base_backup_record.h"
#include "cli/cluster_access.h"
#include "cli/commands.h"
#include "cli/duration_flag.h"
#include "cli/json_messages.h"
#include "cli/progress.h"
#include "cli/repo_access.h"
#include "core/fd.h"
#include "core/subprocess.h"
#include "jobs/jobs.h"
#include "jobs/native_backup.h"
#include "repo/backup/stream_backup.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::cli {

namespace {

struct BackupFlags {
  bool from_stdin = false;
  std::string stdin_filename = "stdin";
  std::vector<std::string> tags;
  std::string time;
  std::string host;
  std::string compression = "auto";
  std::string method = "dump";
  int threads = 0;
  bool from_command = false;
  std::vector<std::string> command;
  std::string retry_lock = "0";
  size_t block_size = 0;    // --method native: data-file block size (0 = the engine's default)
  bool incremental = true;  // --method native: read only what changed since a parent snapshot
  bool full = false;        // --method native: read every page even with a parent snapshot
  int full_every = 7;       // --method native: every Nth backup in a row reads every page
};

void PrintSummary(const GlobalOptions& g, const repo::BackupSummary& s) {
  if (g.WantsJson()) {
    PrintJsonLine(stdout, StreamBackupSummaryMessage{.snapshot_id = repo::IdToHex(s.snapshot_id),
                                                     .total_bytes_processed = s.bytes_read,
                                                     .data_blobs = s.chunks,
                                                     .data_blobs_new = s.chunks_new,
                                                     .data_added = s.bytes_new,
                                                     .data_added_packed = s.bytes_stored,
                                                     .packs_written = s.packs_written,
                                                     .total_duration = s.seconds});
    return;
  }
  if (g.quiet)
    return;
  double rate = s.seconds > 0 ? static_cast<double>(s.bytes_read) / s.seconds : 0;
  std::printf("snapshot %s saved: %s read, %llu of %llu chunks new, %s stored in %.1fs (%s/s)\n",
              repo::IdToHex(s.snapshot_id).substr(0, 8).c_str(), HumanBytes(s.bytes_read).c_str(),
              static_cast<unsigned long long>(s.chunks_new),
              static_cast<unsigned long long>(s.chunks), HumanBytes(s.bytes_stored).c_str(),
              s.seconds, HumanBytes(static_cast<uint64_t>(rate)).c_str());
}

core::Status RunStdinBackup(const GlobalOptions& g, const BackupFlags& f) {
  HS_TRY(RefuseDryRun(g, "backup --stdin", "the input can be read only once",
                      "run it without --dry-run; 'hasteward get backups' lists what was saved"));
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  repo::BackupOptions opts;
  opts.filename = f.stdin_filename;
  opts.tags = f.tags;
  opts.hostname = f.host;
  opts.threads = f.threads;
  HS_ASSIGN_OR_RETURN(opts.lock_wait, ParseDuration("--retry-lock", f.retry_lock, true));
  HS_ASSIGN_OR_RETURN(opts.compression, repo::ParseCompression(f.compression));
  if (!f.time.empty()) {
    HS_ASSIGN_OR_RETURN(opts.time, repo::ParseLocalTime(f.time));
  }
  ProgressPrinter progress(g, "backup");
  opts.progress = [&progress](const repo::BackupProgress& p) {
    progress.Update(p.bytes_read, 0, p.seconds);
  };
  std::unique_ptr<core::ByteSource> in;
  if (f.from_command) {
    if (f.command.empty()) {
      return core::Usage("--stdin-from-command needs a command after '--'");
    }
    core::SubprocessOptions so;
    so.argv = f.command;
    HS_ASSIGN_OR_RETURN(auto proc, core::Subprocess::Start(so));
    in = std::make_unique<core::ProcessSource>(std::move(proc));
  } else {
    in = std::make_unique<core::FdSource>(0);
  }
  auto summary = repo::BackupStream(*r, *in, opts);
  progress.Finish();
  if (!summary.ok()) {
    core::Status s = summary.TakeStatus();
    if (s.code() == core::ErrorCode::kStorage || s.code() == core::ErrorCode::kInternal) {
      // Reading stdin failed: the input, not the repository, is at fault.
      if (s.message().find("read:") != std::string::npos) {
        return core::Status(core::ErrorCode::kIncompleteInput, s.message(),
                            "the input stream failed; no snapshot was saved");
      }
    }
    return s;
  }
  PrintSummary(g, *summary);
  ReportRequests(g, *r);
  return core::Status::Ok();
}

// The --json line of a cluster backup, dump or native (both results carry the plan, the stored
// path and the repository summary).
template <typename ClusterBackupResult>
ClusterBackupSummaryMessage SummaryMessage(const ClusterContext& ctx,
                                           const ClusterBackupResult& result) {
  const auto& s = result.summary;
  return ClusterBackupSummaryMessage{.snapshot_id = repo::IdToHex(s.snapshot_id),
                                     .cluster = ctx.target.cluster().name,
                                     .ns = ctx.target.cluster().ns,
                                     .source_instance = result.plan.source.name,
                                     .source_role = engine::RoleName(result.plan.role),
                                     .path = result.path,
                                     .total_bytes_processed = s.bytes_read,
                                     .data_blobs_new = s.chunks_new,
                                     .data_added_packed = s.bytes_stored,
                                     .total_duration = s.seconds,
                                     .read = std::nullopt};
}

// How an incremental-capable native backup read, from its record; nullopt for a backup that
// always reads everything (no "read" fact).
std::optional<NativeReadMessage> NativeReadOf(const jobs::NativeBackupResult& result) {
  const catalog::BaseBackupRecord& record = result.record;
  if (record.read == catalog::ReadMode::kUnrecorded) {
    return std::nullopt;
  }
  return NativeReadMessage{.mode = catalog::ReadModeName(record.read),
                           .reason = record.reason,
                           .parent = record.parent,
                           .data_bytes_read = record.bytes_read.value_or(0),
                           .wal_bytes_read = record.wal_bytes_read.value_or(0),
                           .reused_bytes = result.reused_bytes,
                           .changed_blocks = record.changed_blocks.value_or(0)};
}

// An incremental-capable backup says how it read: from which parent, or why everything.
void PrintHowItRead(const std::optional<NativeReadMessage>& read) {
  if (!read) {
    return;
  }
  if (read->mode == "incremental") {
    std::printf(
        "read: incremental from parent %s, %s of data files and %s of WAL read, %s reused, "
        "%llu changed blocks\n",
        read->parent.substr(0, 8).c_str(), HumanBytes(read->data_bytes_read).c_str(),
        HumanBytes(read->wal_bytes_read).c_str(), HumanBytes(read->reused_bytes).c_str(),
        static_cast<unsigned long long>(read->changed_blocks));
  } else {
    std::printf("read: full (%s)\n", read->reason.c_str());
  }
}

core::Status RunNativeBackup(const GlobalOptions& g, const BackupFlags& f, ClusterContext& ctx) {
  jobs::NativeBackupOptions opts;
  opts.cluster.job_start = repo::LocalTimeNow(core::SystemClock::Get());
  HS_ASSIGN_OR_RETURN(opts.cluster.lock_wait, ParseDuration("--retry-lock", f.retry_lock, true));
  HS_ASSIGN_OR_RETURN(opts.cluster.compression, repo::ParseCompression(f.compression));
  opts.block_size = f.block_size;
  opts.threads = f.threads;
  opts.full = f.full || !f.incremental;
  opts.full_every = f.full_every;
  if (g.dry_run) {
    engine::NativeBackup* native = ctx.target.engine().native_backup();
    if (native == nullptr)
      return engine::Unsupported(ctx.target.engine(), "native backups (--method native)");
    HS_ASSIGN_OR_RETURN(auto plan,
                        native->PlanNativeBackup(ctx.target.platform(), ctx.target.cluster()));
    std::printf("would take a native backup of '%s/%s' from instance '%s' (%s)\n",
                ctx.target.cluster().ns.c_str(), ctx.target.cluster().name.c_str(),
                plan.source.name.c_str(), plan.reason.c_str());
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  ProgressPrinter progress(g, "backup");
  opts.cluster.progress = [&progress](const repo::BackupProgress& p) {
    progress.Update(p.bytes_read, 0, p.seconds);
  };
  auto result = jobs::BackupClusterNative(ctx.target, *r, opts);
  progress.Finish();
  HS_TRY(result.status());
  ReportRequests(g, *r);
  const auto& s = result->summary;
  if (g.WantsJson()) {
    ClusterBackupSummaryMessage message = SummaryMessage(ctx, *result);
    message.read = NativeReadOf(*result);
    PrintJsonLine(stdout, message);
  } else if (!g.quiet) {
    PrintHowItRead(NativeReadOf(*result));
    std::printf(
        "native backup of %s/%s from %s (%s): snapshot %s, %llu files, %s read, %s stored "
        "in %.1fs\n",
        ctx.target.cluster().ns.c_str(), ctx.target.cluster().name.c_str(),
        result->plan.source.name.c_str(), engine::RoleName(result->plan.role),
        repo::IdToHex(s.snapshot_id).substr(0, 8).c_str(), static_cast<unsigned long long>(s.files),
        HumanBytes(s.bytes_read).c_str(), HumanBytes(s.bytes_stored).c_str(), s.seconds);
  }
  return core::Status::Ok();
}

core::Status RunClusterBackup(const GlobalOptions& g, const BackupFlags& f) {
  if (f.method != "dump" && f.method != "native") {
    return core::Usage("backup method '" + f.method + "' is not supported",
                       "use --method dump (logical) or --method native (physical)");
  }
  HS_ASSIGN_OR_RETURN(ClusterContext ctx, OpenCluster(g));
  if (f.method == "native")
    return RunNativeBackup(g, f, ctx);
  jobs::ClusterBackupOptions opts;
  opts.job_start = repo::LocalTimeNow(core::SystemClock::Get());
  HS_ASSIGN_OR_RETURN(opts.lock_wait, ParseDuration("--retry-lock", f.retry_lock, true));
  HS_ASSIGN_OR_RETURN(opts.compression, repo::ParseCompression(f.compression));
  if (g.dry_run) {
    HS_ASSIGN_OR_RETURN(
        auto plan, ctx.target.engine().PlanBackup(ctx.target.platform(), ctx.target.cluster()));
    std::printf("would back up '%s/%s' from instance '%s' (%s)\n", ctx.target.cluster().ns.c_str(),
                ctx.target.cluster().name.c_str(), plan.source.name.c_str(), plan.reason.c_str());
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  ProgressPrinter progress(g, "backup");
  opts.progress = [&progress](const repo::BackupProgress& p) {
    progress.Update(p.bytes_read, 0, p.seconds);
  };
  auto result = jobs::BackupCluster(ctx.target, *r, opts);
  progress.Finish();
  HS_TRY(result.status());
  ReportRequests(g, *r);
  const auto& s = result->summary;
  if (g.WantsJson()) {
    PrintJsonLine(stdout, SummaryMessage(ctx, *result));
  } else if (!g.quiet) {
    std::printf("backup of %s/%s from %s (%s): snapshot %s, %s dumped, %s stored in %.1fs\n",
                ctx.target.cluster().ns.c_str(), ctx.target.cluster().name.c_str(),
                result->plan.source.name.c_str(), engine::RoleName(result->plan.role),
                repo::IdToHex(s.snapshot_id).substr(0, 8).c_str(), HumanBytes(s.bytes_read).c_str(),
                HumanBytes(s.bytes_stored).c_str(), s.seconds);
  }
  return core::Status::Ok();
}

void AddBackupFlags(CLI::App* cmd, const std::shared_ptr<BackupFlags>& flags) {
  cmd->add_flag("--stdin", flags->from_stdin, "Read the data to back up from standard input");
  cmd->add_option("--stdin-filename", flags->stdin_filename,
                  "Path of the stdin data in the snapshot");
  cmd->add_option("--tag", flags->tags, "Tag (k=v), repeatable; commas separate several");
  cmd->add_option("--time", flags->time, "Snapshot time, \"YYYY-MM-DD HH:MM:SS\" local time");
  cmd->add_option("--host", flags->host, "Hostname stored in the snapshot");
  cmd->add_option("--compression", flags->compression, "auto|off|max|fastest|<zstd level>");
  cmd->add_option("--threads", flags->threads, "Encoding threads (default: one per core)");
  cmd->add_option("-m,--method", flags->method,
                  "Backup method: dump (logical, default) or native (the engine's base backup "
                  "stored as a file tree: pg_basebackup for cnpg, mariadb-backup for mariadb "
                  "and galera) (env HASTEWARD_BACKUP_METHOD)")
      ->envname("HASTEWARD_BACKUP_METHOD");
  cmd->add_option(
      "--block-size", flags->block_size,
      "--method native: block size in bytes for data files, a multiple of the "
      "engine's page (default: the engine's: 512 KiB for PostgreSQL, 64 KiB for InnoDB)");
  // On by default since session 35 (the suite's PostgreSQL native backup, restore, PITR, instant
  // restore and DR standby tests passed with it); --no-incremental is the old full read.
  cmd->add_flag("--incremental,!--no-incremental", flags->incremental,
                "--method native: with an earlier native snapshot as parent, read only the "
                "blocks the WAL since its start names (the default; PostgreSQL, data directory "
                "on this machine; else, or when the WAL is not there, everything; "
                "--no-incremental or HASTEWARD_INCREMENTAL=0: always everything)")
      ->envname("HASTEWARD_INCREMENTAL");
  cmd->add_flag("--full", flags->full,
                "--method native: read every page even when an earlier native snapshot could be "
                "the parent of an incremental read (PostgreSQL, data directory on this machine)");
  cmd->add_option("--full-every", flags->full_every,
                  "--method native: after N-1 incremental reads in a row the next reads every "
                  "page (default 7; 0: never)");
  cmd->add_option("--retry-lock", flags->retry_lock,
                  "Wait up to this long (90s, 10m) for another job's exclusive repository lock, "
                  "e.g. a prune, instead of failing at once (default 0; serve waits 10m)");
  cmd->add_flag("--stdin-from-command", flags->from_command,
                "Run the command after '--' and back up its output; a failing command saves "
                "no snapshot");
  cmd->add_option("command", flags->command, "Command for --stdin-from-command");
}

core::Status RunBackup(const GlobalOptions& g, const BackupFlags& f) {
  if (f.from_stdin || f.from_command)
    return RunStdinBackup(g, f);
  return RunClusterBackup(g, f);
}

}  // namespace

void RegisterBackupCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<BackupFlags>();
  auto* cmd = app.add_subcommand("backup", "Back up a database cluster (-e -c -n) or a stream");
  AddBackupFlags(cmd, flags);
  // Newer HASteward releases group the backup verbs: backup create|list|export|prune.
  cmd->require_subcommand(0, 1);
  auto* create = cmd->add_subcommand("create", "Back up a database cluster (same as 'backup')");
  auto create_flags = std::make_shared<BackupFlags>();
  AddBackupFlags(create, create_flags);
  create->callback([&g, &out, create_flags] { out.status = RunBackup(g, *create_flags); });
  RegisterGroupedBackupVerbs(*cmd, g, out);
  cmd->callback([&g, &out, flags, cmd] {
    if (cmd->get_subcommands().empty())
      out.status = RunBackup(g, *flags);
  });
}

}  // namespace hasteward::cli
