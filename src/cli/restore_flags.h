// cli/restore_flags: the flags of `hasteward restore` and the point-in-time options they make,
// shared by the restore in place (restore_command.cpp) and the one into a new sandbox
// (restore_sandbox.cpp).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "cli/cli.h"
#include "cli/cluster_access.h"
#include "jobs/instant_restore.h"
#include "pitr/archive.h"

namespace hasteward::cli {

struct RestoreFlags {
  std::string snapshot = "latest";
  std::string type;
  int instance = -1;
  bool confirm_overwrite = false;
  bool confirm_rewind = false;
  std::string users;  // "" = the default (create-missing)
  bool force = false;
  std::string method;                 // "" = any
  std::string until;                  // point-in-time: RFC 3339 time
  std::string until_lsn;              // point-in-time: WAL position
  std::string until_gtid;             // point-in-time: MariaDB GTID position
  bool into_sandbox = false;          // --into-sandbox was given
  std::string sandbox_name;           // its value; "" = DefaultSandboxName
  bool instant = false;               // --instant: serve the native snapshot, then hydrate
  std::string heal_timeout = "600s";  // a started or rebuilt instance's time to come back

  bool point() const { return !until.empty() || !until_lsn.empty() || !until_gtid.empty(); }
};

// --users as a mode (default create-missing); kUsage for an engine without selectable accounts.
core::Result<engine::UsersMode> UsersModeFor(const ClusterContext& ctx, const RestoreFlags& f);

// The point-in-time restore the flags ask for from `archive` (the cluster's): the point (one
// parser for every --until flag, pitr/restore_point.h), the restored server's fetch command
// naming the -c/-n cluster's archive, confirm/force and the job stamp; checked as far as it can
// be before anything changes (Archive::CheckRequest). kUsage for flags a point restore does not
// take or an unparsable point.
core::Result<pitr::PointRestoreRequest> PointRestoreRequestFor(const GlobalOptions& g,
                                                               const RestoreFlags& f,
                                                               const ClusterContext& ctx,
                                                               const pitr::Archive& archive);

// What a native restore of the cluster in place records in the cluster's archive before the
// restored primary takes a write (pitr::Archive::BeforeRestoredWrites; binlogs: the rewind), as
// NativeRestoreOptions::before_first_write; empty when the engine keeps no archive. `repo` must
// outlive the restore.
std::function<core::Status(const std::map<std::string, std::string>&)> ArchiveRecordOfRestore(
    const ClusterContext& ctx, repo::Repository& repo);

// `restore --into-sandbox`: the snapshot (or point) of the -c/-n cluster restored into a new
// running sandbox cluster (jobs/sandbox_restore.h); prints how to connect and remove it.
core::Status RunRestoreIntoSandbox(const GlobalOptions& g, const RestoreFlags& f,
                                   ClusterContext& ctx);

// `restore --instant`: the native snapshot served through a FUSE mount and an overlay as the
// target instance's data directory, then hydrated (jobs/instant_restore.h); stays in the
// foreground until the instance runs on local disk, printing each step.
core::Status RunInstantRestore(const GlobalOptions& g, const RestoreFlags& f, ClusterContext& ctx);

// The options of an instant restore from the flags, its events printed with the command's printer
// as they happen; kUsage for the flags it does not take (-i, --method other than native). With
// --until* the point-in-time restore serves its base with them (pitr::PointRestoreRequest).
core::Result<jobs::InstantRestoreOptions> InstantOptionsFor(const GlobalOptions& g,
                                                            const RestoreFlags& f);

}  // namespace hasteward::cli
