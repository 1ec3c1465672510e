#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/instance_handles.h"
#include "engine/mariadb/binlog_source.h"
#include "engine/mariadb/native_backup.h"
#include "engine/mariadb/reconfigure.h"
#include "engine/mariadb/switchover.h"
#include "engine/sql_rows.h"

namespace hasteward::engine::mariadb {

// What one read-only look at a MariaDB instance found. `status` is not ok when the instance could
// not be reached or queried; the other fields are then unset.
struct InstanceProbe {
  const platform::Instance* instance = nullptr;
  core::Status status;
  bool read_only = false;
  bool log_bin = false;
  SqlRows replication;                      // SHOW ALL SLAVES STATUS (empty on a primary)
  std::map<std::string, std::string> vars;  // gtid_current_pos, wsrep_* status, ...
};

// Probes every instance of the cluster through its handle (connect, status, variables,
// replication), in order.
std::vector<InstanceProbe> ProbeInstances(InstanceHandles& handles, bool galera);

// Whether every replication connection of a replica has both threads running and a lag of at
// most `max_lag_seconds`; `why` says what is wrong otherwise.
bool ReplicaHealthy(const SqlRows& replication, int max_lag_seconds, std::string* why,
                    int* lag_seconds);

// Whether a Galera node is Synced in a Primary component and ready.
bool GaleraSynced(const InstanceProbe& probe, std::string* why);

// Parses mariadb-dump's head / tail: "gtid_position", "binlog_file", "binlog_pos".
std::map<std::string, std::string> ParseMariadbDumpMetadata(const std::string& head,
                                                            const std::string& tail);

// The end marker mariadb-dump writes last.
inline constexpr const char* kMariadbDumpEndMarker = "-- Dump completed";

// Shared by the MariaDB replication and Galera engines: mariadb-dump / mariadb plumbing.
class MariadbFamilyEngine : public Engine {
 public:
  const char* DumpFileName() const override { return "mysqldump.sql"; }
  const char* DumpEndMarker() const override { return kMariadbDumpEndMarker; }
  DataCheck CheckData(const platform::InstanceHandle& instance) override;
  core::Result<BackupPlan> PlanBackupOf(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const platform::Instance& instance,
                                        InstanceRole role) override;
  core::Result<std::unique_ptr<DumpStream>> OpenDump(platform::Platform& platform,
                                                     const platform::Cluster& cluster,
                                                     const BackupPlan& plan) override;
  core::Result<RestorePlan> PlanRestore(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const RestoreOptions& options) override;
  core::Result<std::unique_ptr<core::ByteSink>> OpenRestore(platform::Platform& platform,
                                                            const platform::Cluster& cluster,
                                                            const RestorePlan& plan) override;

  bool HasSelectableAccounts() const override { return true; }
  // engine/mariadb/write_probe.cpp: START TRANSACTION READ WRITE, then ROLLBACK.
  WriteProbeResult ProbeWritable(const WriteProbeTarget& target) const override;

 protected:
  // Whether instances are probed for their Galera state (wsrep_*) too.
  virtual bool IsGaleraCluster() const = 0;
  // The instance a restore goes into, and why.
  virtual core::Result<RestorePlan> ChooseRestoreTarget(
      const platform::Cluster& cluster, const std::vector<InstanceProbe>& probes) = 0;
};

// MariaDB primary + GTID replicas ("mariadb").
class MariadbEngine : public MariadbFamilyEngine {
 public:
  static constexpr int kMaxBackupLagSeconds = 10;
  EngineKind kind() const override { return EngineKind::kMariadb; }
  core::Result<BackupPlan> PlanBackup(platform::Platform& platform,
                                      const platform::Cluster& cluster) override;
  core::Result<TriageReport> Triage(platform::Platform& platform,
                                    const platform::Cluster& cluster) override;
  InstanceDescription DescribeInstanceHealth(const InstanceHealth& health) const override;
  bool DonorCandidate(const InstanceHealth& health) const override;
  std::string NoDonorReason() const override;
  std::string AuthorityObjection(const InstanceHealth& target, const InstanceHealth& donor,
                                 bool split_brain_forced) const override;
  core::Status HealInstance(platform::Platform& platform, const platform::Cluster& cluster,
                            const platform::Instance& target, const platform::Instance& donor,
                            const HealOptions& options) override;
  core::Status PrepareToHeal(platform::Platform& platform, const platform::Cluster& cluster,
                             const platform::Instance& target, const HealOptions& options) override;
  NativeBackup* native_backup() override { return &native_; }
  Reconfigure* reconfigure() override { return &reconfigure_; }
  Switchover* switchover() override { return &switchover_; }
  BinlogArchiving* binlog_archiving() override { return &binlogs_; }

 protected:
  bool IsGaleraCluster() const override { return false; }
  core::Result<RestorePlan> ChooseRestoreTarget(const platform::Cluster& cluster,
                                                const std::vector<InstanceProbe>& probes) override;

 private:
  MariadbNativeBackup native_{*this};
  MariadbReconfigure reconfigure_{false};
  MariadbSwitchover switchover_;
  MariadbBinlogSource binlogs_{false};
};

// The dump flags for a source: every database but the "mysql" system schema (its Aria tables are
// the cluster's own configuration; restoring them as tables over a live cluster, or through
// Galera, which does not replicate Aria writes, would break it), then its users, roles and grants
// as portable CREATE USER / GRANT statements (--system=users; replicated by Galera as DDL, applied
// by the restore per RestoreOptions::users), a consistent snapshot, routines, events, triggers,
// and the GTID position (--master-data=2 --gtid when the source writes a binlog, else
// --dump-slave=2 --gtid on a replica — which pauses its SQL thread during the dump).
std::vector<std::string> MariadbDumpFlags(const BackupPlan& plan);

// Helpers shared with Galera.
core::Status NoUsableInstance(const platform::Cluster& cluster,
                              const std::vector<InstanceProbe>& probes, const std::string& wanted);
std::string SkippedSummary(const std::vector<InstanceProbe>& probes);

}  // namespace hasteward::engine::mariadb
