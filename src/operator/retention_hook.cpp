#include "operator/retention_hook.h"

#include "core/clock.h"
#include "core/fd.h"
#include "core/log.h"
#include "repo/maintenance/retention_plan.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward::op {

namespace {

core::Result<std::string> ReadPassword(const std::string& file) {
  HS_ASSIGN_OR_RETURN(std::string p, core::ReadFileToString(file));
  while (!p.empty() && (p.back() == '\n' || p.back() == '\r'))
    p.pop_back();
  return p;
}

}  // namespace

bool RetentionAvailable() {
  return false;
}

core::Result<RetentionOutcome> ApplyRetentionAfterBackup(const RepositorySpec& repository,
                                                         const ManagedCluster& cluster,
                                                         const std::string& engine) {
  RetentionOutcome out;
  if (cluster.retention.IsEmpty())
    return out;
  HS_ASSIGN_OR_RETURN(std::string password, ReadPassword(repository.password_file));
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(repository.location));
  HS_ASSIGN_OR_RETURN(auto r, repo::Repository::Open(std::move(backend), password));
  HS_ASSIGN_OR_RETURN(auto snaps, r->ListSnapshots());
  std::vector<repo::SnapshotMeta> metas;
  for (const auto& s : snaps) {
    metas.push_back({repo::IdToHex(s.id), s.time.Format(), s.hostname, s.paths, s.tags});
  }
  repo::PruneOptions po;
  po.policy = cluster.retention;
  po.engine = engine;
  po.cluster = cluster.name;
  po.namespace_name = cluster.ns;
  po.now = core::SystemClock::Get().Now();
  HS_ASSIGN_OR_RETURN(auto plan, repo::PlanRetention(metas, po));
  out.planned_removals = plan.RemoveIds().size();
  core::LogInfo("retention planned (prune library not available yet: nothing removed)",
                {{"cluster", cluster.Key()},
                 {"repository", repository.name},
                 {"would_remove", std::to_string(out.planned_removals)}});
  return out;
}

}  // namespace hasteward::op
