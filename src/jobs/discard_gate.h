// jobs/discard_gate: the one gate before a step that replaces instances' data (a native restore,
// a point-in-time restore, a DR activation into an existing cluster, and the re-clones each of
// them implies). A fresh read of every replaced instance proves that nothing the step discards is
// newer than the data that replaces it, or unknown; otherwise the step is refused with
// kNewerData before anything changes. With the caller's consent (--confirm-rewind) the step goes
// on and the discarded data is kept: every running instance that holds newer or unknown data is
// first captured as a `diverged` snapshot, and stopped instances' data directories are moved aside
// and never deleted by the step. The log names where each copy is.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/cluster_handle.h"
#include "engine/native_backup.h"
#include "repo/repository.h"

namespace hasteward::jobs {

struct DiscardGateRequest {
  // The instances whose data the step replaces; `stays_stopped` is the one the step writes while
  // it is stopped (the others are re-cloned and may be started to read their position). A
  // `stays_stopped` without a name: the step only re-clones (an instant restore's re-clones after
  // hydration).
  platform::Instance stays_stopped;
  std::vector<platform::Instance> recloned;
  // The position the replacing data reaches (the backup's facts, or a point-in-time restore's
  // end), in the keys NativeBackup::JudgeHeldData reads.
  std::map<std::string, std::string> reaches;
  std::string reaches_text;  // how the refusal names it ("snapshot 1a2b3c4d")
  bool confirm_rewind = false;
  // Instances whose data directory is this restore's own unfinished output, left by a killed run
  // (engine::StopUnfinishedRestores): not judged (it is the replacement, perhaps started, not
  // newer data of the cluster's) but kept like newer data, with whatever was written to it since.
  std::vector<std::string> unfinished;
  std::string stamp;  // the job tag of the captures
  engine::RepairLog log;
};

struct DiscardGateResult {
  // An instance held data newer than (or unknown against) the replacement and the caller
  // consented: stopped data directories must be kept (HealOptions::keep_replaced).
  bool keep_replaced = false;
  std::vector<std::string> captured;  // "<snapshot id> <path>" of each diverged capture
};

// Reads every replaced instance afresh and judges what it holds (engine::HeldData). Refuses with
// kNewerData naming each instance and its position unless nothing is newer or unknown, or
// request.confirm_rewind (then captures, see above). A refusal has replaced nothing, but a stopped
// MariaDB replica it had to read was started. `native` is target's capability; `repo` must be open
// with its index loaded.
core::Result<DiscardGateResult> GateDiscard(const engine::ClusterHandle& target,
                                            engine::NativeBackup& native, repo::Repository& repo,
                                            const DiscardGateRequest& request);

}  // namespace hasteward::jobs
