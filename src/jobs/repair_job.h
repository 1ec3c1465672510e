// Repair as a job: triage, apply the safety table (engine::PlanRepair), take the escrow backup
// (type=backup, from the donor) and — on a forced split-brain repair — a capture of every running
// diverged instance (type=diverged, one shared job tag, "<ns>/<cluster>/<ordinal>-<file>"), then
// run the engine's heal flows, re-checking on fresh triage data right before each destructive step,
// and triage again. A refusal changes nothing.
#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/repair.h"
#include "jobs/jobs.h"

namespace hasteward::jobs {

// The instance a repair capture dumps and the role it plays there (which decides how the engine
// dumps it).
struct CaptureSource {
  platform::Instance instance;
  engine::InstanceRole role = engine::InstanceRole::kPrimary;
};

// A dump of one chosen instance (not the engine's usual backup source) saved as a snapshot.
core::Result<ClusterBackupResult> BackupInstance(const engine::ClusterHandle& target,
                                                 repo::Repository& repo,
                                                 const CaptureSource& source,
                                                 const ClusterBackupOptions& options);

struct RepairJobOptions {
  engine::RepairRequest request;
  bool no_escrow = false;
  bool dry_run = false;
  engine::HealOptions heal;          // heal.stamp doubles as the diverged job tag
  repo::Repository* repo = nullptr;  // required unless no_escrow or dry_run
  std::string state_dir;  // where the before/after triage is recorded ("" = not recorded)
  // The job's start time, read once by the caller: the escrow and every diverged capture carry it
  // (README "Snapshot Timestamps"), so one repair's snapshots sort and group together.
  repo::GoTime job_start;
};

struct RepairJobResult {
  engine::TriageReport before;
  engine::TriageReport after;
  engine::RepairPlan plan;
  std::string escrow_snapshot;                  // "" when none
  std::vector<std::string> diverged_snapshots;  // "<id> <path>"
  std::vector<std::string> healed;              // instance names
  bool dry_run = false;
};

core::Result<RepairJobResult> RepairCluster(const engine::ClusterHandle& target,
                                            const RepairJobOptions& options);

}  // namespace hasteward::jobs
