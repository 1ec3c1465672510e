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
  bool dump_complete = false;  // the dump's last bytes held the engine's end marker
};

// The end marker the engine's dump tool writes last ("PostgreSQL database cluster dump complete",
// "-- Dump completed").
const char* DumpEndMarker(platform::EngineKind engine);

// Restores `snap` (its only file) into the scratch instance with the engine's restore client.
// Calls the failpoint "verify-mid-restore" after the first block reached the client. A failing
// restore client is an error (kDumpFailed with its stderr tail).
core::Result<RestoreIntoResult> RestoreInto(repo::Repository& repo, const repo::Snapshot& snap,
                                            ScratchInstance& scratch);

}  // namespace hasteward::verify
