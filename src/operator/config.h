// operator/config: the YAML file `hasteward serve` reads, shaped like HASteward's BackupPolicy and
// BackupRepository resources plus the clusters that opt in (docs/operator.md has the format):
//
//   repositories: [{name, repository|path|url, passwordFile}]
//   policies: [{name, backupSchedule, triageSchedule, verifySchedule, mode: triage|repair,
//               repositories: [names], retention: {keepLast, keepHourly, keepDaily, keepWeekly,
//               keepMonthly, keepYearly}, pitr: bool, pitrSync: bool, backupMethod: dump|native}]
//   clusters: [{namespace, name, policy, backupSchedule?, triageSchedule?, verifySchedule?,
//               mode?, pitr?, pitrSync?, backupMethod?, exclude?}]
//   inventory: path (optional), stateFile: path (optional)
//   pitrStatusSeconds: how often the archive's window and gaps are read again (optional)
//   walAgentDir: where PostgreSQL clusters' WAL agents listen (optional; default
//                <state dir>/wal-agent; "" = serve runs no WAL agent)
//   discovery: {annotations: bool, resyncSeconds, namespace} (optional; clusters that opt in
//              through their annotations, operator/crd/cluster_annotations.h)
//   standbys: [...] (optional; DR standbys serve runs, each entry exactly as in a standby
//              declaration file, dr/standby_spec.h)
//   leaderElection: {leaseName, namespace, leaseDurationSeconds, renewDeadlineSeconds,
//                    retryPeriodSeconds} (optional; platforms with replicas, e.g. kubernetes)
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "dr/standby_spec.h"
#include "operator/backup_method.h"
#include "platform/leader_election.h"
#include "repo/maintenance/retention_policy.h"

namespace hasteward::op {

// A repository's secrets read through the platform (a BackupRepository's passwordSecretRef and
// envSecretRef), held in memory only: never logged, never written to a file or a child's argv.
struct RepositorySecrets {
  std::string password;
  std::map<std::string, std::string> env;  // for the storage backend, e.g. AWS_ACCESS_KEY_ID
};

struct RepositorySpec {
  std::string name;
  std::string location;  // path or URL
  std::string password_file;
  // Set for a repository from a BackupRepository resource (then password_file is empty).
  std::shared_ptr<const RepositorySecrets> secrets;
};

struct PolicySpec {
  std::string name;
  std::string backup_schedule;  // "" = no scheduled backups
  std::string triage_schedule;
  std::string verify_schedule;
  std::string mode = "triage";  // triage | repair
  std::vector<std::string> repositories;
  repo::RetentionPolicy retention;
  // Continuous archiving for point-in-time recovery (operator/archive/archive_supervisor.h).
  bool pitr = false;
  // PostgreSQL with pitr: serve also runs the synchronous WAL receiver (`wal-receive`,
  // pitr/wal/wal_receiver.h); `archive enable --sync` then makes it the synchronous standby.
  bool pitr_sync = false;
  BackupMethod backup_method = BackupMethod::kUnset;  // the backup command's default
};

struct ClusterSpec {
  std::string ns = "default";
  std::string name;
  std::string policy = "default";
  std::string backup_schedule;  // "" = the policy's
  std::string triage_schedule;
  std::string verify_schedule;
  std::string mode;
  std::optional<bool> pitr;                           // nullopt = the policy's
  std::optional<bool> pitr_sync;                      // nullopt = the policy's
  BackupMethod backup_method = BackupMethod::kUnset;  // the policy's
  bool exclude = false;
};

// Clusters found on the platform rather than listed in the config.
struct DiscoverySpec {
  // Manage every cluster whose annotations opt in (operator/crd/cluster_annotations.h).
  bool annotations = false;
  // How often the platform's clusters are listed again even without a change notification (the
  // kubernetes platform watches its CRs; the local one is polled at this interval alone).
  std::chrono::milliseconds resync{std::chrono::seconds(300)};
  // kubernetes: the one namespace whose clusters are listed; "" = every namespace the operator's
  // account may list (its ClusterRole), as an operator in a namespace of its own needs.
  std::string ns;
};

struct ServeConfig {
  std::string source;      // the file it was read from
  std::string platform;    // "" = local (platform/registry.h)
  std::string inventory;   // "" = the default inventory
  std::string state_file;  // "" = <state dir>/serve-state.json
  std::vector<RepositorySpec> repositories;
  std::vector<PolicySpec> policies;
  std::vector<ClusterSpec> clusters;
  // DR standbys serve discovers on their discoveryInterval (operator/standby/standby_runner.h).
  std::vector<dr::StandbySpec> standbys;
  // Used when the platform elects a leader among replicas (kubernetes); defaults are client-go's.
  platform::LeaderElectionSettings leader_election;
  DiscoverySpec discovery;
  // How often `serve` reads each archiving cluster's recoverable window and gaps (`pitr status`
  // reads every archived piece, so never at every scrape).
  std::chrono::milliseconds pitr_status_refresh{std::chrono::seconds(300)};
  // Where serve's WAL agents listen (operator/archive/archive_supervisor.h); nullopt = the default
  // (<state dir>/wal-agent), "" = no agents.
  std::optional<std::string> wal_agent_dir;
};

// A cluster with its policy and overrides applied.
struct ManagedCluster {
  std::string ns;
  std::string name;
  std::string policy;
  std::string backup_schedule;
  std::string triage_schedule;
  std::string verify_schedule;
  std::string mode;
  std::vector<RepositorySpec> repositories;  // in policy order; the first one is verified
  repo::RetentionPolicy retention;
  bool pitr = false;  // serve keeps the archive going; into the first repository
  BackupMethod backup_method = BackupMethod::kUnset;  // scheduled backups' --method, if set
  bool pitr_sync = false;  // with pitr, on PostgreSQL: serve runs the synchronous WAL receiver

  std::string Key() const { return ns + "/" + name; }
};

// Parses the YAML text; kUsage naming `source` and the problem (unknown key, bad mode, bad cron
// expression, unknown policy or repository, duplicate names).
core::Result<ServeConfig> ParseServeConfig(const std::string& text, const std::string& source);
core::Result<ServeConfig> LoadServeConfig(const std::string& path);

// One cluster with its policy and overrides applied; kUsage naming the cluster on an unknown
// policy or repository, a bad mode or cron expression (exclude is not looked at).
core::Result<ManagedCluster> ResolveCluster(const ServeConfig& config, const ClusterSpec& spec);

// The clusters to manage: every non-excluded cluster with its policy and overrides applied.
core::Result<std::vector<ManagedCluster>> ResolveClusters(const ServeConfig& config);

// The state file path the config names, or the default.
std::string StateFilePath(const ServeConfig& config);

}  // namespace hasteward::op
