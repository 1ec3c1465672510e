#include <cstdio>

#include "catalog/base_backup_record.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/repo_access.h"
#include "cli/snapshot_filter.h"
#include "core/fd.h"
#include "core/file_sink.h"
#include "engine/engine.h"
#include "engine/users_mode.h"
#include "jobs/native_backup.h"
#include "platform/platform.h"
#include "repo/lock/repo_lock.h"
#include "repo/restore/file_dumper.h"
#include "repo/restore/tar_dumper.h"

namespace hasteward::cli {

namespace {

struct ExportFlags {
  std::string snapshot = "latest";
  std::string output = "-";
  std::string path;
  std::string type;
  int instance = -1;
  std::string users;  // MariaDB/Galera: "skip" (default) | "include"
};

// Why a MariaDB-family export leaves out the accounts by default: an export is loaded by hand
// into some server, and the dump's CREATE USER / GRANT statements would fail on the accounts that
// server already has (root, mariadb.sys) or reset their passwords to the backup's. `restore`
// applies them safely (--users); `--users include` exports the dump exactly as stored.
core::Result<std::unique_ptr<core::ByteSink>> FilterAccounts(const repo::Snapshot& snap,
                                                             const ExportFlags& f,
                                                             std::unique_ptr<core::ByteSink> sink) {
  bool mariadb_family = false;  // an untagged snapshot is exported as stored
  if (auto kind = platform::ParseEngineKind(snap.TagValue("engine")); kind.ok()) {
    HS_ASSIGN_OR_RETURN(auto engine, engine::MakeEngine(*kind));
    mariadb_family = engine->HasSelectableAccounts();
  }
  if (!f.users.empty() && !mariadb_family) {
    return core::Usage("--users applies to exports of mariadb and galera snapshots",
                       "drop --users; a cnpg dump holds its roles as pg_dumpall wrote them");
  }
  if (!mariadb_family || f.users == "include")
    return sink;
  return engine::WithoutAccounts(std::move(sink));
}

core::Result<std::unique_ptr<core::ByteSink>> OpenOutput(const std::string& output) {
  if (output == "-" || output.empty()) {
    return std::unique_ptr<core::ByteSink>(std::make_unique<core::FdSink>(1));
  }
  // 0600: a MariaDB export can hold password hashes (--users include) and any dump holds the data
  // itself; only the owner may read it, as with restic's own files.
  HS_ASSIGN_OR_RETURN(auto file, core::AtomicFileSink::Create(output, {.mode = 0600}));
  std::unique_ptr<core::ByteSink> sink = std::move(file);
  if (output.size() > 3 && output.substr(output.size() - 3) == ".gz") {
    sink = std::make_unique<core::GzipSink>(std::move(sink));
  }
  return sink;
}

// The directory an export writes as a tar, or nullopt for a file export: a native snapshot
// without --path (its whole tree: `tar -xf` gives <ns>/<cluster>/data as `restic restore` does),
// or a --path naming a directory of any snapshot.
core::Result<std::optional<repo::Node>> TreeToExport(repo::Repository& r,
                                                     const repo::Snapshot& snap,
                                                     const ExportFlags& f) {
  if (f.path.empty() && !catalog::IsNativeBackup(snap)) {
    return std::optional<repo::Node>();
  }
  HS_ASSIGN_OR_RETURN(repo::Node node, repo::FindNode(r, snap, f.path));
  if (node.type != "dir") {
    return std::optional<repo::Node>();
  }
  return std::optional<repo::Node>(std::move(node));
}

core::Status ExportTree(const GlobalOptions& g, const ExportFlags& f, repo::Repository& r,
                        const repo::Snapshot& snap, const repo::Node& dir) {
  if (!f.users.empty()) {
    return core::Usage("--users applies to dump exports; this export is a file tree (tar)",
                       "drop --users");
  }
  if (!dir.subtree) {
    return core::Corruption("directory '" + f.path + "' of snapshot '" +
                            repo::IdToHex(snap.id).substr(0, 8) + "' has no subtree");
  }
  HS_ASSIGN_OR_RETURN(auto sink, OpenOutput(f.output));
  ProgressPrinter progress(g, "export");
  repo::DumpOptions opts;
  auto summary = repo::DumpTreeAsTar(r, *dir.subtree, f.path, *sink, opts);
  progress.Finish();
  HS_TRY(summary.status());
  HS_TRY(sink->Close());
  ReportRequests(g, r);
  if (f.output != "-" && !g.quiet) {
    std::fprintf(stderr, "exported snapshot %s as tar (%llu files, %s) to %s\n",
                 repo::IdToHex(snap.id).substr(0, 8).c_str(),
                 static_cast<unsigned long long>(summary->files),
                 HumanBytes(summary->content_bytes).c_str(), f.output.c_str());
  }
  return core::Status::Ok();
}

core::Status RunExport(const GlobalOptions& g, const ExportFlags& f) {
  SnapshotFilter filter = SnapshotFilter::FromGlobals(g);
  HS_ASSIGN_OR_RETURN(filter.type, SnapshotTypeFor(f.snapshot, f.type, f.instance));
  filter.instance = f.instance;
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(*r, repo::LockOptions{}));
  HS_ASSIGN_OR_RETURN(auto snaps, r->ListSnapshots());
  HS_ASSIGN_OR_RETURN(repo::Snapshot snap,
                      repo::Repository::FindSnapshot(filter.Apply(snaps), f.snapshot));
  if (g.dry_run) {
    std::printf("would export snapshot %s (%s) to %s\n",
                repo::IdToHex(snap.id).substr(0, 8).c_str(), snap.TagValue("type").c_str(),
                f.output.c_str());
    return lock->Release();
  }
  HS_TRY(r->LoadBlobIndex());
  HS_ASSIGN_OR_RETURN(auto tree, TreeToExport(*r, snap, f));
  if (tree) {
    HS_TRY(ExportTree(g, f, *r, snap, *tree));
    return lock->Release();
  }
  HS_ASSIGN_OR_RETURN(repo::Node node, repo::FindFileNode(*r, snap, f.path));
  HS_ASSIGN_OR_RETURN(auto output, OpenOutput(f.output));
  HS_ASSIGN_OR_RETURN(auto sink, FilterAccounts(snap, f, std::move(output)));
  ProgressPrinter progress(g, "export");
  repo::DumpOptions opts;
  opts.progress = [&progress](const repo::DumpProgress& p) {
    progress.Update(p.bytes_written, p.total_bytes, p.seconds);
  };
  auto written = repo::DumpFile(*r, node, *sink, opts);
  progress.Finish();
  HS_TRY(written.status());
  HS_TRY(sink->Close());
  HS_TRY(lock->Release());
  ReportRequests(g, *r);
  if (f.output != "-" && !g.quiet) {
    std::fprintf(stderr, "exported snapshot %s (%s) to %s\n",
                 repo::IdToHex(snap.id).substr(0, 8).c_str(), HumanBytes(*written).c_str(),
                 f.output.c_str());
  }
  return core::Status::Ok();
}

void AddExportFlags(CLI::App* cmd, const std::shared_ptr<ExportFlags>& flags) {
  cmd->add_option("--snapshot", flags->snapshot,
                  "Snapshot ID, prefix or 'latest' (env HASTEWARD_SNAPSHOT)")
      ->envname("HASTEWARD_SNAPSHOT");
  cmd->add_option("-o,--output-file", flags->output, "Output file ('-' = stdout; .gz compresses)");
  cmd->add_option("--path", flags->path,
                  "File inside the snapshot (default: its only file), or a directory (written "
                  "as tar; a native snapshot without --path is its whole tree as tar)");
  cmd->add_option("-t,--type", flags->type, "Snapshot type for 'latest': backup|diverged");
  cmd->add_option("-i,--instance", flags->instance,
                  "Diverged capture of instance N (env HASTEWARD_INSTANCE)")
      ->envname("HASTEWARD_INSTANCE");
  cmd->add_option("--users", flags->users,
                  "MariaDB/Galera: skip (default: leave out the users and grants, so the file "
                  "loads into any server) or include (the dump as stored; use 'restore' to "
                  "apply accounts safely)")
      ->check(CLI::IsMember({"skip", "include"}));
}

}  // namespace

void AddExportCommand(CLI::App& parent, const std::string& name, GlobalOptions& g,
                      CommandOutcome& out) {
  auto flags = std::make_shared<ExportFlags>();
  auto* cmd = parent.add_subcommand(name, "Write a backup's dump to a file or stdout");
  AddExportFlags(cmd, flags);
  cmd->callback([&g, &out, flags] { out.status = RunExport(g, *flags); });
}

}  // namespace hasteward::cli

namespace hasteward::cli {
void RegisterExportCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  AddExportCommand(app, "export", g, out);
}
}  // namespace hasteward::cli
