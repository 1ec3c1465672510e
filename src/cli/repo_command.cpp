#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/duration_flag.h"
#include "cli/json_messages.h"
#include "cli/repo_access.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/redact.h"
#include "repo/check/checker.h"
#include "repo/crypto/kdf_params.h"
#include "repo/lock/repo_lock.h"
#include "storage/registry.h"
#include "verify/incremental_audit.h"

namespace hasteward::cli {

namespace {

struct RepoFlags {
  bool read_data = false;
  bool remove_all = false;
  std::string polynomial;
  std::string object_lock;
  int lock_wait_seconds = 0;
};

// --object-lock: "30" or "30d" (days, as S3's default retentions count), or a shorter duration
// "12h", "90m", "45s" (tests and trials). "" = no lock.
core::Result<std::chrono::seconds> ParseObjectLock(const std::string& text) {
  if (text.empty())
    return std::chrono::seconds(0);
  std::string days = !text.empty() && text.back() == 'd' ? text.substr(0, text.size() - 1) : text;
  if (!days.empty() && days.find_first_not_of("0123456789") == std::string::npos) {
    long count = std::strtol(days.c_str(), nullptr, 10);
    if (count > 0 && count <= 36500)
      return std::chrono::seconds(count * 86400);
  }
  auto shorter = ParseDuration("--object-lock", text);
  if (!shorter.ok()) {
    return core::Usage("invalid --object-lock '" + text + "'",
                       "give the lock period in days (30 or 30d) or as 12h, 90m, 45s");
  }
  return shorter;
}

core::Status RunInit(const GlobalOptions& g, const RepoFlags& f) {
  HS_ASSIGN_OR_RETURN(std::string location, g.Repository());
  HS_ASSIGN_OR_RETURN(std::string password, g.Password());
  repo::InitOptions opts;
  // Checked before anything is created, so a typo never leaves a half-made repository.
  HS_ASSIGN_OR_RETURN(opts.kdf, repo::KdfParamsFromEnvironment());
  HS_ASSIGN_OR_RETURN(opts.object_lock, ParseObjectLock(f.object_lock));
  if (g.dry_run) {
    // Nothing is created, not even the backend's directory.
    std::printf("would create a repository at %s\n", core::RedactUrlCredentials(location).c_str());
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(location, BackendOptions(g)));
  opts.hostname = repo::LocalHostname();
  opts.username = repo::LocalUsername();
  if (!f.polynomial.empty()) {
    opts.polynomial = std::strtoull(f.polynomial.c_str(), nullptr, 16);
  }
  HS_ASSIGN_OR_RETURN(auto r, repo::Repository::Init(std::move(backend), password, opts));
  if (g.WantsJson()) {
    PrintJsonLine(stdout,
                  RepoInitializedMessage{.id = r->config().id,
                                         .repository = core::RedactUrlCredentials(location)});
  } else if (!g.quiet) {
    std::printf("created repository %s at %s\n", r->config().id.substr(0, 10).c_str(),
                core::RedactUrlCredentials(location).c_str());
  }
  return core::Status::Ok();
}

// The incremental snapshots the audit doubts, one line each: evidenced ones as errors (their
// parent may be another history's), unproven ones as warnings. Returns how many of each.
std::pair<uint64_t, uint64_t> PrintDoubtfulIncrementals(
    const std::vector<verify::DoubtfulIncremental>& doubtful) {
  uint64_t evidenced = 0;
  for (const auto& d : doubtful) {
    bool error = verify::IsEvidenced(d.doubt);
    evidenced += error ? 1 : 0;
    std::fprintf(stderr, "%s: incremental snapshot %s (parent %s, %s) %s\n",
                 error ? "error" : "warning", d.snapshot.substr(0, 8).c_str(),
                 d.parent.substr(0, 8).c_str(), verify::ParentDoubtName(d.doubt), d.detail.c_str());
  }
  if (!doubtful.empty()) {
    std::fprintf(stderr,
                 "hint: restore-test those snapshots (hasteward verify --snapshot ID) before "
                 "trusting them, and take a full native backup now (backup --method native "
                 "--full): the next incrementals build on it\n");
  }
  return {evidenced, doubtful.size() - evidenced};
}

core::Status RunCheck(const GlobalOptions& g, const RepoFlags& f) {
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  repo::LockOptions lo;
  lo.exclusive = true;
  lo.wait = std::chrono::seconds(f.lock_wait_seconds);
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(*r, lo));
  HS_ASSIGN_OR_RETURN(auto report, repo::CheckRepository(*r, repo::CheckOptions{f.read_data, 0}));
  // Structure first: the audit reads trees and the WAL archive through the index just checked.
  std::vector<verify::DoubtfulIncremental> doubtful;
  if (report.ok()) {
    HS_ASSIGN_OR_RETURN(doubtful, verify::AuditIncrementals(*r));
  }
  HS_TRY(lock->Release());
  ReportRequests(g, *r);
  for (const auto& h : report.hints) {
    std::fprintf(stderr, "hint: %s\n", h.c_str());
  }
  for (const auto& e : report.errors) {
    std::fprintf(stderr, "error: %s\n", e.c_str());
  }
  auto [another_history, unproven] = PrintDoubtfulIncrementals(doubtful);
  bool ok = report.ok() && another_history == 0;
  if (g.WantsJson()) {
    PrintJsonLine(stdout, RepoCheckMessage{.ok = ok,
                                           .errors = report.errors.size() + another_history,
                                           .snapshots = report.snapshots,
                                           .packs = report.packs,
                                           .blobs = report.blobs,
                                           .bytes_read = report.bytes_read,
                                           .incrementals_on_another_history = another_history,
                                           .incrementals_unproven = unproven});
  } else if (ok) {
    std::printf("checked %zu snapshots, %zu packs, %zu blobs%s: no errors were found\n",
                report.snapshots, report.packs, report.blobs, f.read_data ? " (data read)" : "");
  }
  if (!report.ok()) {
    return core::Status(core::ErrorCode::kCorruption,
                        "check found " + std::to_string(report.errors.size()) + " error(s)",
                        "snapshots that do not use the damaged files still restore; see the "
                        "errors above");
  }
  if (another_history > 0) {
    return core::Status(core::ErrorCode::kCorruption,
                        "check found " + std::to_string(another_history) +
                            " incremental snapshot(s) whose parent may lie on another history",
                        "their files are intact, but pages they took from their parent may be "
                        "data a restore had removed; see the errors above");
  }
  return core::Status::Ok();
}

core::Status RunUnlock(const GlobalOptions& g, const RepoFlags& f) {
  HS_TRY(RefuseDryRun(g, "repo unlock", "it cannot tell which locks it would remove",
                      "run 'hasteward repo check' to see the lock holders, then unlock without "
                      "--dry-run"));
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  HS_ASSIGN_OR_RETURN(int removed, repo::RemoveLocks(*r, f.remove_all));
  if (g.WantsJson()) {
    PrintJsonLine(stdout, RepoUnlockMessage{.removed = removed});
  } else {
    std::printf("removed %d %slock(s)\n", removed, f.remove_all ? "" : "stale ");
  }
  return core::Status::Ok();
}

}  // namespace

void RegisterRepoCommands(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<RepoFlags>();
  auto* repo_cmd =
      app.add_subcommand("repo", "Create, check and unlock the backup repository; manage its keys");
  repo_cmd->require_subcommand(1);
  auto* init = repo_cmd->add_subcommand("init", "Create a new repository (restic format v2)");
  init->add_option("--polynomial", flags->polynomial,
                   "Chunker polynomial in hex (default: random, as restic)");
  init->add_option("--object-lock", flags->object_lock,
                   "S3: keep packs, snapshots, keys and config undeletable for DAYS (30, 30d; or "
                   "12h, 90m, 45s) with S3 Object Lock; see docs/object-lock.md");
  init->callback([&g, &out, flags] { out.status = RunInit(g, *flags); });
  auto* check = repo_cmd->add_subcommand("check", "Verify the repository's structure and data");
  check->add_flag("--read-data", flags->read_data, "Also read and verify every pack");
  check->add_option("--lock-wait", flags->lock_wait_seconds, "Seconds to wait for other locks");
  check->callback([&g, &out, flags] { out.status = RunCheck(g, *flags); });
  auto* unlock = repo_cmd->add_subcommand("unlock", "Remove stale locks");
  unlock->add_flag("--remove-all", flags->remove_all, "Remove all locks, also live ones");
  unlock->callback([&g, &out, flags] { out.status = RunUnlock(g, *flags); });
  RegisterRepoKeyCommands(*repo_cmd, g, out);
}

}  // namespace hasteward::cli
