// `hasteward prune` and `hasteward backup prune`: retention (docs/retention.md) plus garbage
// collection (docs/prune.md). Flags only; the work is repo::RunPrune.
#include <cstdio>

#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include "cli/commands.h"
#include "cli/repo_access.h"
#include "core/clock.h"
#include "pitr/pitr_retention.h"
#include "repo/maintenance/prune.h"

namespace hasteward::cli {

namespace {

struct PruneFlags {
  // HASteward's defaults; each rule keeps its default unless its own flag is given (0 = off).
  repo::RetentionPolicy policy = [] {
    repo::RetentionPolicy p;
    p.keep_last = 7;
    p.keep_daily = 30;
    p.keep_weekly = 12;
    p.keep_monthly = 24;
    return p;
  }();
  std::vector<std::string> keep_tags;
  std::string within, within_hourly, within_daily, within_weekly, within_monthly, within_yearly;
  std::string type = "backup";
  bool allow_empty = false;
  std::string max_unused = "5%";
  std::string max_repack_size;
  int lock_wait_seconds = 0;
  int threads = 0;
};

core::Status ParseWithin(const std::string& text, repo::KeepWithin* out) {
  if (text.empty())
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(*out, repo::ParseKeepWithin(text));
  return core::Status::Ok();
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string part =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty())
      out.push_back(part);
    if (comma == std::string::npos)
      return out;
    start = comma + 1;
  }
}

core::Result<repo::PruneRunOptions> BuildOptions(const GlobalOptions& g, const PruneFlags& f) {
  repo::PruneRunOptions o;
  o.retention.policy = f.policy;
  for (const auto& t : f.keep_tags)
    o.retention.policy.keep_tags.push_back(SplitComma(t));
  auto& p = o.retention.policy;
  HS_TRY(ParseWithin(f.within, &p.keep_within));
  HS_TRY(ParseWithin(f.within_hourly, &p.keep_within_hourly));
  HS_TRY(ParseWithin(f.within_daily, &p.keep_within_daily));
  HS_TRY(ParseWithin(f.within_weekly, &p.keep_within_weekly));
  HS_TRY(ParseWithin(f.within_monthly, &p.keep_within_monthly));
  HS_TRY(ParseWithin(f.within_yearly, &p.keep_within_yearly));
  HS_ASSIGN_OR_RETURN(o.retention.type, repo::ParsePruneType(f.type));
  o.retention.engine = g.engine;
  o.retention.cluster = g.cluster;
  o.retention.namespace_name = g.ns_explicit ? g.ns : "";
  o.retention.allow_empty = f.allow_empty;
  o.retention.now = core::SystemClock::Get().Now();
  // Archived WAL and binlogs follow the kept base backups: only pieces no kept base needs go.
  static const pitr::PitrRetention kArchiveRetention;
  o.retention.archive = &kArchiveRetention;
  HS_ASSIGN_OR_RETURN(o.gc.max_unused, repo::ParseMaxUnused(f.max_unused));
  if (!f.max_repack_size.empty()) {
    auto cap = repo::ParseMaxUnused(f.max_repack_size);
    if (!cap.ok() || cap->kind != repo::MaxUnused::Kind::kBytes) {
      return core::Usage("--max-repack-size '" + f.max_repack_size + "' is not a size",
                         "give bytes or a size such as 500M or 2G");
    }
    o.gc.max_repack_bytes = cap->bytes;
  }
  if (f.lock_wait_seconds < 0)
    return core::Usage("--lock-wait must be >= 0");
  o.lock_wait = std::chrono::seconds(f.lock_wait_seconds);
  o.dry_run = g.dry_run;
  o.threads = f.threads;
  return o;
}

uint64_t PeakRssBytes() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

core::Status RunPruneCommand(const GlobalOptions& g, const PruneFlags& f) {
  HS_ASSIGN_OR_RETURN(auto options, BuildOptions(g, f));
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  HS_ASSIGN_OR_RETURN(auto report, repo::RunPrune(*r, options));
  if (g.WantsJson()) {
    nlohmann::json j = report.ToJson();
    j["peak_rss_bytes"] = PeakRssBytes();
    j["index_blobs"] = report.index_blobs;
    std::printf("%s\n", j.dump().c_str());
  } else if (!g.quiet) {
    std::printf("%speak memory %.1f MiB for an index of %zu blobs\n", report.ToText().c_str(),
                static_cast<double>(PeakRssBytes()) / (1 << 20), report.index_blobs);
  }
  return core::Status::Ok();
}

void AddPruneFlags(CLI::App* cmd, const std::shared_ptr<PruneFlags>& f) {
  auto& p = f->policy;
  cmd->add_option("--keep-last", p.keep_last, "Keep the last N snapshots (jobs for diverged)")
      ->capture_default_str();
  cmd->add_option("--keep-hourly", p.keep_hourly, "Keep the newest of each of N hours");
  cmd->add_option("--keep-daily", p.keep_daily, "Keep N daily snapshots")->capture_default_str();
  cmd->add_option("--keep-weekly", p.keep_weekly, "Keep N weekly snapshots")->capture_default_str();
  cmd->add_option("--keep-monthly", p.keep_monthly, "Keep N monthly snapshots")
      ->capture_default_str();
  cmd->add_option("--keep-yearly", p.keep_yearly, "Keep N yearly snapshots");
  cmd->add_option("--keep-tag", f->keep_tags,
                  "Keep snapshots with all these tags (a,b; repeatable)");
  cmd->add_option("--keep-within", f->within, "Keep snapshots newer than latest - D (1y5m7d2h)");
  cmd->add_option("--keep-within-hourly", f->within_hourly, "Hourly snapshots within D");
  cmd->add_option("--keep-within-daily", f->within_daily, "Daily snapshots within D");
  cmd->add_option("--keep-within-weekly", f->within_weekly, "Weekly snapshots within D");
  cmd->add_option("--keep-within-monthly", f->within_monthly, "Monthly snapshots within D");
  cmd->add_option("--keep-within-yearly", f->within_yearly, "Yearly snapshots within D");
  cmd->add_option("-t,--type", f->type, "Snapshot type: backup|diverged|all")
      ->capture_default_str();
  cmd->add_flag("--allow-empty", f->allow_empty, "Allow removing every snapshot of a cluster");
  cmd->add_option("--max-unused", f->max_unused,
                  "Unused space left after prune: 5%, 100M, unlimited")
      ->capture_default_str();
  cmd->add_option("--max-repack-size", f->max_repack_size,
                  "Repack at most this much per run (e.g. 500M, 2G); the rest waits for the next");
  cmd->add_option("--lock-wait", f->lock_wait_seconds,
                  "Seconds to wait for another process's lock before refusing")
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "Parallel requests (default: backend connections)");
}

}  // namespace

void AddPruneCommand(CLI::App& parent, const std::string& name, GlobalOptions& g,
                     CommandOutcome& out) {
  auto flags = std::make_shared<PruneFlags>();
  auto* cmd = parent.add_subcommand(
      name, "Apply the retention policy, forget old snapshots and remove unused data");
  AddPruneFlags(cmd, flags);
  cmd->callback([&g, &out, flags] { out.status = RunPruneCommand(g, *flags); });
}

void RegisterPruneCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  AddPruneCommand(app, "prune", g, out);
}

}  // namespace hasteward::cli
