// jobs/restore_into: the one restore pipeline — a snapshot's dump file streamed from the repository
// into an engine's restore client — shared by `restore` (jobs/cluster_restore.cpp) and `verify`
// (verify/restore_into.cpp), and meant for DR and point-in-time restores. It notices a dump that
// ends without its tool's end marker: a truncated dump restores "successfully" with psql or
// mariadb, leaving tables missing or short.
#pragma once

#include <cstdint>
#include <functional>

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "repo/repository.h"

namespace hasteward::jobs {

struct RestoreIntoOptions {
  // Where and how the engine restores: Engine::PlanRestore for the same platform and cluster,
  // made (and any refusal returned) before anything starts.
  engine::RestorePlan plan;
  std::function<void(uint64_t done, uint64_t total, double seconds)> progress;
  // Called once after the first block reached the restore client (failpoints in tests).
  std::function<void()> after_first_block;
  // What to do with a dump that arrived whole but lacks its end marker. false (a real restore):
  // stop the client before it runs the tail and fail with kDumpFailed. true (verification into
  // its own scratch instance): let the client finish, report dump_complete = false.
  bool finish_incomplete_dump = false;
};

struct RestoreIntoResult {
  uint64_t bytes = 0;
  bool stream_complete = false;  // every byte of the snapshot's file reached the client
  bool dump_complete = false;    // ... and its last bytes held the engine's end marker
  core::Status restore;          // the restore client's (or the stream's) failure, if any
};

// Streams the snapshot's only file into the target engine's OpenRestore(options.plan). The
// caller holds the repository lock and has loaded the index. A failing stream or restore client is
// reported in `restore` (the client is killed, never left to run a half-sent statement); errors
// are what stops the restore from starting (no such file, the client does not start).
core::Result<RestoreIntoResult> RestoreSnapshotInto(repo::Repository& repo,
                                                    const repo::Snapshot& snapshot,
                                                    const engine::ClusterHandle& target,
                                                    const RestoreIntoOptions& options);

}  // namespace hasteward::jobs
