// operator/crd/crd_status: the status `serve` writes back onto its BackupPolicy and
// BackupRepository resources (through the status subresource: the spec and its generation are never
// touched).
//
//   BackupPolicy.status:     {observedGeneration, managedClusters, conditions: [Ready]}
//   BackupRepository.status: {observedGeneration, snapshots, lastCheckTime, conditions: [Ready]}
//
// Ready is False with a reason when the resource is not used or not usable: InvalidSpec,
// SecretUnavailable, OverriddenByConfig (a config-file entry of the same name wins),
// RepositoryUnavailable (a policy names a repository that is missing or refused), WrongPassword and
// Unreachable (the repository check failed). A repository is checked (opened with its password,
// snapshots counted) when it appears or changes, after each backup into it, and every `recheck`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/crd/crd_catalog.h"

namespace hasteward::op {

struct ReadyCondition {
  bool ready = false;
  std::string reason;
  std::string message;
};

// What a repository check found.
struct RepositoryCheck {
  ReadyCondition condition;
  std::optional<size_t> snapshots;  // when the repository could be opened
  int64_t checked_at = 0;           // unix seconds
};

// Opens the repository and counts its snapshots: Ready, or WrongPassword / Unreachable.
RepositoryCheck CheckRepository(const RepositorySpec& repository, int64_t now);

// A policy's readiness in `effective` (the merged config; `file` the config file alone).
ReadyCondition PolicyReadiness(const CrdResourceInfo& policy, const ServeConfig& file,
                               const ServeConfig& effective);
// A repository's readiness before its check: nullopt when it is usable (the check decides).
std::optional<ReadyCondition> RepositoryRefusal(const CrdResourceInfo& repository,
                                                const ServeConfig& file);

// The status objects. `transition_time` is the condition's lastTransitionTime (RFC 3339).
nlohmann::json PolicyStatus(const CrdResourceInfo& policy, size_t managed_clusters,
                            const ReadyCondition& ready, const std::string& transition_time);
nlohmann::json RepositoryStatus(const CrdResourceInfo& repository, const ReadyCondition& ready,
                                const std::optional<RepositoryCheck>& check,
                                const std::string& transition_time);

// Writes the statuses on a thread of its own (a repository check may wait on slow storage; the
// operator's loop must not). Writes only what changed since its last write.
class CrdStatusReporter {
 public:
  // `resources` must outlive this.
  CrdStatusReporter(platform::OperatorResources& resources, std::chrono::milliseconds recheck);
  ~CrdStatusReporter();
  CrdStatusReporter(const CrdStatusReporter&) = delete;
  CrdStatusReporter& operator=(const CrdStatusReporter&) = delete;

  // The latest resources, merged config and managed clusters; call only while this replica leads
  // (a standby writes nothing). Thread-safe.
  void Update(const ServeConfig& file, const CrdState& state, const ServeConfig& effective,
              const std::vector<ManagedCluster>& managed);
  // A backup went into repository `name`: check it again. Thread-safe.
  void RepositoryWritten(const std::string& name);

 private:
  struct Inputs {
    ServeConfig file;
    CrdState state;
    ServeConfig effective;
    std::map<std::string, size_t> managed;  // policy -> clusters
  };
  void Run();
  void WriteAll(const Inputs& inputs, const std::set<std::string>& recheck, bool recheck_all);
  // A Warning Event (reason InvalidSpec) on a resource whose spec is invalid, once per generation.
  void WarnInvalidOnce(platform::OperatorResourceKind kind, const CrdResourceInfo& info);
  void WriteIfChanged(platform::OperatorResourceKind kind, const std::string& name,
                      const std::function<nlohmann::json(const std::string&)>& status_at,
                      bool ready);

  platform::OperatorResources& resources_;
  std::chrono::milliseconds recheck_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Inputs> inputs_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::set<std::string> written_repositories_;
  // Owned by the thread: last check per repository (with the fingerprint it checked), and the
  // last status written per "Kind/name" with its condition's state and transition time.
  std::map<std::string, std::pair<std::string, RepositoryCheck>> checks_;
  // NOLINTNEXTLINE(bugprone-exception-escape): only allocation can throw; that ends the program
  struct Written {
    nlohmann::json status;
    bool ready = false;
    std::string transition_time;
  };
  std::map<std::string, Written> written_;
  std::map<std::string, int64_t> warned_;  // "Kind/name" -> generation an InvalidSpec Event named
  std::thread thread_;
};

}  // namespace hasteward::op
