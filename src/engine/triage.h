#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

// Triage: a read-only health report of every instance of a cluster and one overall verdict. It
// never changes anything. An instance whose state could not be read is kUnknown — never "missing"
// or "needs heal" — so that later decisions (donor, bootstrap node) fail closed on it.
namespace hasteward::engine {

enum class Verdict { kHealthy, kDegraded, kSplitBrain };
const char* VerdictName(Verdict v);  // "healthy", "degraded", "split-brain"
// The exit code for a verdict: kOk, kHealthDegraded or kSplitBrain.
core::ErrorCode VerdictExitCode(Verdict v);

enum class InstanceState {
  kHealthy,   // reachable and doing its job
  kDegraded,  // reachable but something is wrong (lag, stopped replication, not synced)
  kStopped,   // the platform says its server is not running
  kUnknown,   // running (or undeterminable) but its state could not be read
};
const char* InstanceStateName(InstanceState s);

enum class Severity { kInfo, kWarning, kCritical };

struct Finding {
  Severity severity = Severity::kInfo;
  std::string instance;  // "" = the cluster as a whole
  std::string message;
};

// What an instance does in its cluster. The names (RoleName) are the triage table's and JSON's.
enum class InstanceRole {
  kPrimary,     // PostgreSQL primary, MariaDB replication primary
  kStandby,     // PostgreSQL streaming standby
  kReplica,     // MariaDB GTID replica
  kGaleraNode,  // any Galera node (all are equal)
  kUnknown,     // could not be read
};
// "primary", "standby", "replica", "galera-node", "unknown".
const char* RoleName(InstanceRole role);

struct InstanceHealth {
  platform::Instance instance;
  InstanceState state = InstanceState::kUnknown;
  InstanceRole role = InstanceRole::kUnknown;
  bool writable = false;  // accepts writes (PostgreSQL primary, MariaDB read_only=OFF)
  std::map<std::string, std::string> facts;  // engine-specific, e.g. "timeline", "gtid_current_pos"
  std::string error;                         // why the state could not be read (kUnknown)

  // The fact named `key`, or "" when the engine did not record it.
  std::string Fact(const std::string& key) const;
  // Whether its state was read (healthy or degraded): only then do its facts describe it now.
  bool readable() const {
    return state == InstanceState::kHealthy || state == InstanceState::kDegraded;
  }
  // "'db-1'": the instance name as messages quote it.
  std::string quoted_name() const { return "'" + instance.name + "'"; }
};

// How the triage table shows one instance: its replication position ("TL2 0/3000060",
// "0-1-42", "a1b2c3d4:17 (wsrep)") and one detail line (lag, receiver state, cluster status).
// Built by the engine (Engine::DescribeInstanceHealth) from the instance's facts.
struct InstanceDescription {
  std::string position;
  std::string detail;
};

struct TriageReport {
  std::string cluster;
  std::string ns;
  platform::EngineKind engine = platform::EngineKind::kPostgres;
  Verdict verdict = Verdict::kHealthy;
  std::vector<InstanceHealth> instances;
  std::vector<Finding> findings;
  std::chrono::milliseconds took{0};
};

// Adds `f` and raises `verdict` to at least `at_least`.
void Raise(Verdict* verdict, Verdict at_least);

// Findings for every instance that is stopped or unknown (warning; the verdict becomes degraded).
void AddUnreadableFindings(const std::vector<InstanceHealth>& instances,
                           std::vector<Finding>* findings, Verdict* verdict);

// Triage of a cluster by its engine (engine::MakeEngine(cluster.engine)->Triage).
core::Result<TriageReport> TriageCluster(platform::Platform& platform,
                                         const platform::Cluster& cluster);

// Index of the instance named `name` in report.instances, or -1.
int FindInstanceHealth(const TriageReport& report, const std::string& name);

}  // namespace hasteward::engine
