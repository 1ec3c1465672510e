// verify/scratch_instance: the throwaway single-instance server a verification restores into. It
// is a sandbox cluster with its own state dir and inventory inside a run directory
// <verify_root>/<pid>-<unix ms>/ whose "owner" file names the owning process (pid and start
// time), so a later run can tell a crashed run's leftovers (orphans.h) from a live one.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::verify {

inline constexpr char kOwnerFile[] = "owner";
inline constexpr char kScratchNamespace[] = "verify";
inline constexpr char kScratchName[] = "scratch";

// <state dir>/verify: where run directories live.
std::string DefaultVerifyRoot();

class ScratchInstance {
 public:
  // Makes the run directory (mode 0755, so the server's OS user can reach its data dir), writes
  // the owner file, then brings up one instance of `engine` (the verified engine's ScratchKind():
  // Galera backups restore into a plain MariaDB instance, the dump format is the same). On failure
  // nothing is left behind.
  static core::Result<std::unique_ptr<ScratchInstance>> Create(platform::EngineKind engine,
                                                               const std::string& verify_root);
  // Tears down (see Teardown); errors are logged.
  ~ScratchInstance();
  ScratchInstance(const ScratchInstance&) = delete;
  ScratchInstance& operator=(const ScratchInstance&) = delete;

  // Stops the server, kills every process that mentions the run directory and removes it.
  // Idempotent.
  core::Status Teardown();

  const platform::Cluster& cluster() const { return cluster_; }
  platform::Platform& platform() { return *platform_; }
  const std::string& dir() const { return dir_; }

 private:
  ScratchInstance() = default;
  std::string dir_;
  platform::Cluster cluster_;
  std::unique_ptr<platform::Platform> platform_;
  bool down_ = false;
};

// Stops whatever a run directory holds and removes it (used by Teardown and orphan cleanup).
core::Status RemoveRunDir(const std::string& dir);

}  // namespace hasteward::verify
