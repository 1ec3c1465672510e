// The GTID domain a restored MariaDB primary writes its new history in. A native restore continues
// the backup's GTID numbering (BecomePrimary), so without a domain of its own the restored
// primary's next transaction would be named like a transaction of the abandoned history after the
// backup (0-1-43 on both sides), and every GTID comparison (the discard gate, switchover,
// failover, the binlog archive's chain) would take two histories for one. In a domain no history
// of the cluster has used, the new writes are told apart by name: a position that lists the new
// domain is on the new history, one that lacks it and is past the backup in the old domain is on
// the abandoned one (CompareGtidPositions: kDiverged either way, never kBehind).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/status.h"
#include "engine/native_backup.h"
#include "platform/platform.h"

namespace hasteward::engine::mariadb {

// The domains seen so far; Next() is one above the highest. Pure.
class HistoryDomains {
 public:
  // Every domain of a GTID list ("0-1-42,1-1-7"; malformed entries are skipped).
  void AddPosition(const std::string& gtid_list);
  void AddDomain(uint32_t domain);
  // A server's gtid_domain_id as text ("3"); anything that is not a domain number is ignored.
  void AddDomainText(const std::string& text);
  // The highest domain added, nullopt when none was.
  std::optional<uint32_t> highest() const { return highest_; }
  // One above the highest domain added (1 when only domain 0 or nothing was seen: domain 0 is
  // every unconfigured server's). kSafetyStop when the highest is already the last domain.
  core::Result<uint32_t> Next() const;

 private:
  std::optional<uint32_t> highest_;
};

// The new history's domain for a restore of the backup with `facts` into `cluster`: above the
// backup's positions, the restore's end (options.reaches), options.newest_taken_gtid_domain, and
// every instance's gtid_domain_id and GTID positions as far as they can be read (the running
// servers, the configuration of stopped ones). Reads only; an instance that cannot be read is
// named in `unread` (its old data is kept or captured by the discard gate).
core::Result<uint32_t> ChooseHistoryDomain(platform::Platform& platform,
                                           const platform::Cluster& cluster,
                                           const std::map<std::string, std::string>& facts,
                                           const NativeRestoreOptions& options,
                                           std::string* unread);

// Makes `domain` the instance's gtid_domain_id across restarts: persisted in its override file
// (override_file.h). Returns "" when persisted, else why not (no config file, or not reachable
// from here: the caller sets it with SetHistoryDomain after each start and logs the reason).
// Other errors (the file cannot be written) are returned.
core::Result<std::string> PersistHistoryDomain(const platform::InstanceHandle& handle,
                                               uint32_t domain);

// SET GLOBAL gtid_domain_id on the running instance (new sessions write in it).
core::Status SetHistoryDomain(const platform::InstanceHandle& handle, uint32_t domain);

// Makes the running `replica` write in the history domain `primary` writes in (its
// gtid_domain_id, set and persisted where it differs). Returns "" when persisted or nothing
// differed, else why it is set only until the replica's next restart (as PersistHistoryDomain).
core::Result<std::string> FollowHistoryDomain(platform::InstanceHandle& replica,
                                              const platform::InstanceHandle& primary);

}  // namespace hasteward::engine::mariadb
