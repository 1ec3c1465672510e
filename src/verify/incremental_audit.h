// verify/incremental_audit: which incremental native snapshots of a repository rest on a parent
// nobody proved an ancestor of the data they read. Releases before the parent proof chose a
// PostgreSQL parent by system, timeline and position alone; after a restore that kept the
// timeline, the parent could lie on the history the restore abandoned, and the incremental kept
// the parent's pages for every block the new history did not touch after the parent's start
// (issue 49, finding 1). Since then every incremental records the proof (tag parent_proof=wal).
//
// After the fact the repository tells only part of the story: where it holds two different copies
// of one WAL segment (the archive's and a snapshot's, or two snapshots') between an unproven
// incremental's parent and the incremental, two histories shared those names, and the parent may
// be on the other one. Where it holds no such evidence, the incremental is only unproven.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog/base_backup_record.h"
#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::verify {

enum class ParentDoubt {
  // Two different copies of a WAL segment lie between the parent's start and this snapshot's:
  // a restore reused those names, and the pages taken from the parent may be another history's.
  kTwoHistories,
  // Its parent (or one further up its chain) is kTwoHistories: it lends the same pages on.
  kInheritsTwoHistories,
  // Taken without the proof (or on a parent taken without it), and the repository holds no
  // evidence either way.
  kUnproven,
};
// "two-histories", "inherits-two-histories", "unproven".
const char* ParentDoubtName(ParentDoubt doubt);
// Whether the doubt rests on evidence (the repository's own copies disagree).
bool IsEvidenced(ParentDoubt doubt);

struct DoubtfulIncremental {
  std::string snapshot;  // hex ID
  std::string parent;    // hex ID of its parent
  ParentDoubt doubt = ParentDoubt::kUnproven;
  std::string detail;  // one line: the evidence, or why nothing proves the parent
};

// One native snapshot as the audit reads it.
struct AuditedSnapshot {
  std::string id;  // hex
  catalog::BaseBackupRecord record;
};

// A WAL segment (timeline, segment number) of which the repository holds two different copies,
// with where they are.
using SegmentKey = std::pair<uint32_t, uint64_t>;
using SegmentConflicts = std::map<SegmentKey, std::string>;

// The segments (on the incremental's timeline, by number) an unproven incremental's read relied
// on: from its parent's start to its own. Empty for a proven incremental, one whose parent is not
// among `snapshots`, on another timeline, or without positions. `segment_bytes`: a segment's size.
std::set<SegmentKey> SegmentsReliedOn(const AuditedSnapshot& incremental,
                                      const std::vector<AuditedSnapshot>& snapshots,
                                      uint64_t segment_bytes);

// The judgement, pure: every incremental among `snapshots` (one cluster's) whose parent chain is
// not proven, and why. A doubtful parent's doubt passes to its children, proven or not.
std::vector<DoubtfulIncremental> JudgeIncrementals(const std::vector<AuditedSnapshot>& snapshots,
                                                   const SegmentConflicts& conflicts,
                                                   uint64_t segment_bytes);

// Reads the repository: every PostgreSQL native snapshot, the copies of the WAL segments unproven
// incrementals relied on (their trees and the cluster's WAL archive), compared over the bytes
// both copies hold; then JudgeIncrementals per cluster. Loads the repository's index. Errors:
// repository errors (a copy that cannot be read is reported, never taken as agreeing).
core::Result<std::vector<DoubtfulIncremental>> AuditIncrementals(repo::Repository& repo);

}  // namespace hasteward::verify
