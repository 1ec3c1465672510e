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

struct InstanceHealth {
  platform::Instance instance;
  InstanceState state = InstanceState::kUnknown;
  std::string role = "unknown";  // primary, standby, replica, galera-node, unknown
  bool writable = false;         // accepts writes (PostgreSQL primary, MariaDB read_only=OFF)
  std::map<std::string, std::string> facts;  // engine-specific, e.g. "timeline", "gtid_current_pos"
  std::string error;                         // why the state could not be read (kUnknown)
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

// Triage of a cluster by its engine kind (PostgreSQL, MariaDB replication or Galera).
core::Result<TriageReport> TriageCluster(platform::Platform& platform,
                                         const platform::Cluster& cluster);

// Index of the instance named `name` in report.instances, or -1.
int FindInstanceHealth(const TriageReport& report, const std::string& name);

}  // namespace hasteward::engine
