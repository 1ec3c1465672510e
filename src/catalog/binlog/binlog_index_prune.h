// catalog/binlog/binlog_index_prune: prune's step for the binlog piece index (binlog_index.h), run
// under prune's exclusive lock before it deletes anything (pitr::Archive::BeforeRemoval).
#pragma once

#include "core/status.h"
#include "repo/maintenance/retention_plan.h"
#include "repo/repository.h"

namespace hasteward::catalog {

// Rewrites the index of `group`'s cluster without the records of the snapshots the plan removes,
// so it never names a snapshot prune is about to forget. Nothing is written when no record names
// one, or when the index does not exist (built from the remaining snapshots when next read).
// Errors: storage and corruption errors (prune then stops with nothing deleted).
core::Status ForgetPrunedBinlogPieces(repo::Repository& repo, const repo::PlanGroup& group);

}  // namespace hasteward::catalog
