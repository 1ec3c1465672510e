// operator/crd/crd_catalog: the policies and repositories the platform's BackupPolicy and
// BackupRepository resources contribute to `serve` (platform/operator_resources.h), with the
// Secrets of each repository read through the platform into memory, and the config `serve` acts
// on once they are merged with its file.
//
// Decisions, and why:
// - A config-file entry wins over a resource of the same name (as for clusters): the file is the
//   operator owner's explicit word.
// - A failed listing changes nothing (Read returns nullopt): an API server away for a minute must
//   not drop every schedule that depends on a resource.
// - A resource that is invalid, or whose Secret cannot be read, is left out and reported (its
//   Ready condition, crd_status.h; logged once per distinct problem); the others are unaffected.
// - Secrets cannot be watched (the operator may only `get` them, never list or watch), so a
//   changed password is read at the next Read: on any resource change and at every resync.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/config.h"
#include "platform/operator_resources.h"

namespace hasteward::op {

// Why a resource is not used, as its Ready condition says: an UpperCamelCase reason and a message.
struct ResourceProblem {
  std::string reason;
  std::string message;
};

// One listed resource and whether it is usable.
struct CrdResourceInfo {
  std::string name;
  int64_t generation = 0;
  std::optional<ResourceProblem>
      problem;  // nullopt: its spec is in CrdState's policies/repositories
};

struct CrdState {
  std::vector<PolicySpec> policies;                   // the usable BackupPolicies
  std::vector<RepositorySpec> repositories;           // the usable BackupRepositories, secrets read
  std::vector<CrdResourceInfo> policy_resources;      // every listed BackupPolicy
  std::vector<CrdResourceInfo> repository_resources;  // every listed BackupRepository
};

// Problem reasons.
inline constexpr char kReasonInvalidSpec[] = "InvalidSpec";
inline constexpr char kReasonSecretUnavailable[] = "SecretUnavailable";

// Reads `resources` (which must outlive it).
class CrdCatalog {
 public:
  explicit CrdCatalog(platform::OperatorResources& resources) : resources_(resources) {}

  // Both kinds listed and mapped, every repository's Secrets read; nullopt (logged) when a listing
  // failed. New problems are logged once each.
  std::optional<CrdState> Read();
  // Whether a resource may have changed since the last call (the platform's watch).
  bool TakeChange() { return resources_.TakeChange(); }

 private:
  void ReadRepository(const platform::OperatorResource& resource, CrdState& state);
  void LogProblems(const CrdState& state);

  platform::OperatorResources& resources_;
  std::map<std::string, std::string> logged_;  // "Kind/name" -> message
};

// `file` with the resources' policies and repositories added; a file entry of the same name wins.
ServeConfig MergeCrds(const ServeConfig& file, const CrdState& crds);

// A repository's name, location, password file and a hash of its secrets (never their text).
std::string RepositoryFingerprint(const RepositorySpec& repository);

// What scheduling depends on in a merged config (names, schedules, locations, secrets), so `serve`
// applies a new one only when it differs. The secrets enter as a hash, never as text.
std::string ConfigFingerprint(const ServeConfig& config);

}  // namespace hasteward::op
