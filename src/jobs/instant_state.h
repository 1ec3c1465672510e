// jobs/instant_state: the durable record of an instant restore in progress, beside the data
// directory it serves ("<data dir>.hasteward-instant/state"), so that a rerun after a kill knows
// which step to finish and triage can say that the instance still runs on a snapshot mount.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"

namespace hasteward::jobs {

// The steps of an instant restore, in order. Each is recorded before it starts; kServing before
// the instance's first start (it may take writes from then on, which a rerun must keep).
enum class InstantPhase {
  kStarting,  // the overlay is being mounted on the data directory and the instance started
  kServing,   // the instance runs (or is being started) on the overlay and may take writes; the
              // lower layer is being copied (hydration)
  kMerging,   // the copy is complete; the instance is stopped, the upper layer is applied to it
};

const char* InstantPhaseName(InstantPhase phase);

struct InstantState {
  InstantPhase phase = InstantPhase::kStarting;
  std::string snapshot_id;  // full hex ID of the snapshot the instance was restored from
  std::string instance;     // the instance's name
  // The discard gate kept replaced data (NativeRestoreResult::keep_replaced): the re-clones after
  // hydration keep the other instances' data directories too, in this run and a rerun.
  bool keep_replaced = false;
};

// "<data dir>.hasteward-instant": the directory holding the mount, the layers and the copy.
std::string InstantDirFor(const std::string& data_dir);

// Writes the state durably (core::WriteFileAtomically) into InstantDirFor(data_dir).
core::Status WriteInstantState(const std::string& data_dir, const InstantState& state);

// The recorded state, nullopt when no instant restore is in progress for `data_dir`.
// kCorruption when the record cannot be parsed.
core::Result<std::optional<InstantState>> ReadInstantState(const std::string& data_dir);

}  // namespace hasteward::jobs
