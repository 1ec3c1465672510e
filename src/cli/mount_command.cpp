#include <cstdio>

#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/repo_access.h"
#include "cli/snapshot_filter.h"
#include "jobs/snapshot_mount.h"
#include "repo/lock/repo_lock.h"
#include "repo/mount/snapshot_tree.h"

namespace hasteward::cli {

namespace {

struct MountFlags {
  std::string snapshot = "latest";
  std::string path;
  std::string type;
  std::string mountpoint;
  uint64_t cache_mib = 256;
  uint64_t readahead_mib = 16;
  bool allow_other = false;
};

void PrintSummary(const GlobalOptions& g, const std::string& mountpoint,
                  const jobs::SnapshotMountSummary& summary) {
  if (g.quiet)
    return;
  std::fprintf(stderr, "unmounted %s (%llu blobs loaded, %s cached at most)\n", mountpoint.c_str(),
               static_cast<unsigned long long>(summary.cache.loads),
               HumanBytes(summary.cache.max_bytes_held).c_str());
  if (summary.read_errors > 0) {
    std::fprintf(stderr,
                 "warning: %llu reads failed and were answered with an i/o error; run "
                 "'hasteward repo check' to find the damage\n",
                 static_cast<unsigned long long>(summary.read_errors));
  }
}

core::Status RunMount(const GlobalOptions& g, const MountFlags& f) {
  // Before any thread exists (the lock's refresher, the cache's prefetchers, libfuse's workers):
  // they inherit the mask, so the stop signal reaches the mount's own wait and nothing else.
  jobs::BlockStopSignalsForMount();
  SnapshotFilter filter = SnapshotFilter::FromGlobals(g);
  HS_ASSIGN_OR_RETURN(filter.type, SnapshotTypeFor(f.snapshot, f.type, -1));
  HS_ASSIGN_OR_RETURN(auto r, OpenRepository(g));
  // A shared lock for as long as the tree is mounted: prune (exclusive) must not delete the packs
  // a reader of the mount is about to fetch.
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(*r, repo::LockOptions{}));
  HS_ASSIGN_OR_RETURN(auto snaps, r->ListSnapshots());
  HS_ASSIGN_OR_RETURN(repo::Snapshot snap,
                      repo::Repository::FindSnapshot(filter.Apply(snaps), f.snapshot));
  std::string short_id = repo::IdToHex(snap.id).substr(0, 8);
  if (g.dry_run) {
    std::printf("would mount snapshot %s (%s) at %s\n", short_id.c_str(),
                snap.TagValue("type").c_str(), f.mountpoint.c_str());
    return lock->Release();
  }
  HS_TRY(r->LoadIndex());
  HS_ASSIGN_OR_RETURN(auto tree, repo::SnapshotTree::Open(*r, snap, f.path));
  jobs::SnapshotMountOptions options;
  options.mountpoint = f.mountpoint;
  options.fs_name = "hasteward:" + short_id;
  options.cache.budget_bytes = f.cache_mib * 1024 * 1024;
  options.readahead_bytes = f.readahead_mib * 1024 * 1024;
  options.allow_other = f.allow_other;
  options.on_mounted = [&] {
    if (!g.quiet) {
      std::fprintf(stderr, "mounted snapshot %s at %s (read-only); stop with Ctrl-C or SIGTERM\n",
                   short_id.c_str(), f.mountpoint.c_str());
    }
  };
  HS_ASSIGN_OR_RETURN(auto summary, jobs::ServeSnapshotMount(*r, *tree, options));
  PrintSummary(g, f.mountpoint, summary);
  return lock->Release();
}

void AddMountFlags(CLI::App* cmd, const std::shared_ptr<MountFlags>& flags) {
  cmd->add_option("mountpoint", flags->mountpoint, "An existing, empty directory to mount on")
      ->required();
  cmd->add_option("--snapshot", flags->snapshot,
                  "Snapshot ID, prefix or 'latest' (env HASTEWARD_SNAPSHOT)")
      ->envname("HASTEWARD_SNAPSHOT");
  cmd->add_option("--path", flags->path,
                  "A directory inside the snapshot to mount instead of its root");
  cmd->add_option("-t,--type", flags->type, "Snapshot type for 'latest': backup|diverged");
  cmd->add_option("--cache-size", flags->cache_mib,
                  "MiB of decrypted blobs kept in memory (least recently used go first)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20));
  cmd->add_option("--readahead", flags->readahead_mib,
                  "MiB fetched ahead of a sequential reader (0 = none)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 16));
  cmd->add_flag("--allow-other", flags->allow_other,
                "Let other users read the tree (needs user_allow_other in /etc/fuse.conf "
                "unless root)");
}

}  // namespace

void RegisterMountCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<MountFlags>();
  auto* cmd = app.add_subcommand(
      "mount", "Serve a snapshot as a read-only file tree (FUSE) until Ctrl-C or SIGTERM");
  AddMountFlags(cmd, flags);
  cmd->callback([&g, &out, flags] { out.status = RunMount(g, *flags); });
}

}  // namespace hasteward::cli
