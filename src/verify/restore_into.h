// verify/restore_into: streaming a backup snapshot into the scratch instance, and noticing a dump
// that ends without its tool's end marker (a truncated dump restores "successfully" with psql or
// mariadb, leaving tables missing or short — exactly what verification exists to catch).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "engine/engine.h"
#include "repo/repository.h"
#include "verify/scratch_instance.h"

namespace hasteward::verify {

struct RestoreIntoResult {
  uint64_t bytes = 0;
  bool stream_complete = false;  // every byte of the snapshot's file reached the client
  bool dump_complete = false;    // ... and its last bytes held the engine's end marker
  core::Status restore;          // the restore client's (or the stream's) failure, if any
};

// The end marker the engine's dump tool writes last ("PostgreSQL database cluster dump complete",
// "-- Dump completed").
const char* DumpEndMarker(platform::EngineKind engine);

// Restores `snap` (its only file) into the scratch instance with the engine's restore client.
// Calls the failpoint "verify-mid-restore" after the first block reached the client. A failing
// restore client or an unreadable snapshot is reported in `restore` (a verdict, not an error);
// errors are what stops the restore from starting (lock, index, the scratch server).
core::Result<RestoreIntoResult> RestoreInto(repo::Repository& repo, const repo::Snapshot& snap,
                                            ScratchInstance& scratch);

}  // namespace hasteward::verify
