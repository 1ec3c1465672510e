#include "verify/incremental_audit.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "catalog/wal/archived_file_reader.h"
#include "catalog/wal/wal_catalog.h"
#include "catalog/wal_names.h"
#include "core/byte_stream.h"
#include "engine/engine.h"
#include "jobs/native_parent.h"

namespace hasteward::verify {

namespace {

// More segments than this between a parent and its child is not a range worth listing: the audit
// then says only "unproven" for it.
constexpr uint64_t kMostSegmentsReliedOn = uint64_t{1} << 20;

std::string Short(const std::string& id) {
  return id.substr(0, 8);
}

const AuditedSnapshot* Find(const std::vector<AuditedSnapshot>& snapshots, const std::string& id) {
  for (const AuditedSnapshot& s : snapshots) {
    if (s.id == id) {
      return &s;
    }
  }
  return nullptr;
}

// This snapshot's own doubt, given its parent's (nullopt: the parent is proven or absent).
std::optional<DoubtfulIncremental> OwnDoubt(const AuditedSnapshot& s, const AuditedSnapshot* parent,
                                            const std::optional<DoubtfulIncremental>& parent_doubt,
                                            const SegmentConflicts& conflicts,
                                            const std::vector<AuditedSnapshot>& snapshots,
                                            uint64_t segment_bytes) {
  DoubtfulIncremental d{s.id, s.record.parent, ParentDoubt::kUnproven, ""};
  if (parent_doubt && IsEvidenced(parent_doubt->doubt)) {
    d.doubt = ParentDoubt::kInheritsTwoHistories;
    d.detail =
        "it keeps pages of its parent " + Short(parent->id) + ", which " + parent_doubt->detail;
    return d;
  }
  if (s.record.parent_proof == catalog::ParentProof::kUnrecorded) {
    for (const SegmentKey& key : SegmentsReliedOn(s, snapshots, segment_bytes)) {
      if (auto it = conflicts.find(key); it != conflicts.end()) {
        d.doubt = ParentDoubt::kTwoHistories;
        d.detail = "may hold another history's pages: " + it->second +
                   ", between its parent's start and its own (a restore reused those names)";
        return d;
      }
    }
    d.detail = parent == nullptr ? "was taken without proving its parent, which is gone"
                                 : "was taken without proving its parent an ancestor (a release "
                                   "before the proof); the repository holds no evidence either way";
    return d;
  }
  if (parent_doubt) {
    d.detail = "proved its parent " + Short(parent->id) + ", which " + parent_doubt->detail;
    return d;
  }
  return std::nullopt;
}

// One copy of a WAL segment in the repository: a snapshot's tree or the archive.
struct SegmentCopy {
  std::string where;                                // "snapshot 1a2b3c4d" or "the WAL archive"
  std::vector<repo::Id> content;                    // a tree's copy
  const catalog::ArchivedFile* archived = nullptr;  // the archive's copy
  uint64_t valid = 0;  // the bytes of it that are WAL (a tree's stops at its stop)
};

core::Result<std::string> ReadCopy(repo::Repository& repo, const SegmentCopy& copy) {
  std::string out;
  if (copy.archived != nullptr) {
    core::MemorySink sink;
    HS_TRY(catalog::DumpArchived(repo, *copy.archived, sink));
    out.assign(reinterpret_cast<const char*>(sink.data().data()), sink.data().size());
  } else {
    for (const repo::Id& id : copy.content) {
      HS_ASSIGN_OR_RETURN(core::Bytes blob, repo.LoadBlob(id, repo::BlobType::kData));
      out.append(reinterpret_cast<const char*>(blob.data()), blob.size());
    }
  }
  out.resize(std::min<uint64_t>(out.size(), copy.valid));
  return out;
}

// The first pair of copies that disagree over the bytes both hold; "" when all agree.
core::Result<std::string> Disagreement(repo::Repository& repo, const std::string& name,
                                       const std::vector<SegmentCopy>& copies) {
  HS_ASSIGN_OR_RETURN(std::string first, ReadCopy(repo, copies.front()));
  for (size_t i = 1; i < copies.size(); ++i) {
    HS_ASSIGN_OR_RETURN(std::string other, ReadCopy(repo, copies[i]));
    size_t common = std::min(first.size(), other.size());
    auto [a, b] =
        std::mismatch(first.begin(), first.begin() + static_cast<long>(common), other.begin());
    if (a != first.begin() + static_cast<long>(common)) {
      return "WAL segment " + name + " differs between " + copies.front().where + " and " +
             copies[i].where + " at byte " + std::to_string(a - first.begin());
    }
  }
  return std::string();
}

// Where the trees of `snapshots` hold a copy of a wanted segment, by segment.
core::Status AddTreeCopies(repo::Repository& repo, const std::vector<repo::Snapshot>& snapshots,
                           const std::vector<AuditedSnapshot>& audited,
                           const engine::Archiving& archiving, const std::set<SegmentKey>& wanted,
                           std::map<SegmentKey, std::vector<SegmentCopy>>& copies) {
  catalog::WalNames names(&archiving);
  for (size_t i = 0; i < snapshots.size(); ++i) {
    HS_ASSIGN_OR_RETURN(auto files, jobs::NativeTreeFiles(repo, snapshots[i]));
    auto stop = audited[i].record.stop();
    auto stop_segment = stop ? names.SegmentEndingAt(*stop) : std::nullopt;
    for (auto& [path, file] : files) {
      if (path.rfind("pg_wal/", 0) != 0) {
        continue;
      }
      auto segment = names.ParseSegmentFile(path.substr(7));
      if (!segment || segment->name != path.substr(7) ||
          !wanted.contains({segment->timeline, segment->segment})) {
        continue;  // a partial or history file, or a segment no unproven read relied on
      }
      uint64_t valid = file.size;
      if (stop_segment && stop_segment->name == segment->name) {
        valid = stop->lsn - segment->segment * archiving.SegmentBytes();
      }
      copies[{segment->timeline, segment->segment}].push_back(
          {"snapshot " + Short(audited[i].id), file.content, nullptr, valid});
    }
  }
  return core::Status::Ok();
}

// The segments of which the repository holds two different copies, among `wanted`.
core::Result<SegmentConflicts> FindConflicts(repo::Repository& repo,
                                             const platform::Cluster& cluster,
                                             const std::vector<repo::Snapshot>& snapshots,
                                             const std::vector<AuditedSnapshot>& audited,
                                             const engine::Archiving& archiving,
                                             const std::set<SegmentKey>& wanted) {
  std::map<SegmentKey, std::vector<SegmentCopy>> copies;
  HS_TRY(AddTreeCopies(repo, snapshots, audited, archiving, wanted, copies));
  HS_ASSIGN_OR_RETURN(catalog::WalCatalog archive,
                      catalog::WalCatalog::Load(repo, cluster, archiving));
  for (const SegmentKey& key : wanted) {
    const std::string name = archiving.SegmentFileName(key.first, key.second);
    if (const catalog::ArchivedFile* archived = archive.Find(name); archived != nullptr) {
      copies[key].push_back({"the WAL archive", {}, archived, archived->node.size});
    }
  }
  SegmentConflicts conflicts;
  for (const auto& [key, list] : copies) {
    if (list.size() < 2) {
      continue;
    }
    const std::string name = archiving.SegmentFileName(key.first, key.second);
    HS_ASSIGN_OR_RETURN(std::string disagreement, Disagreement(repo, name, list));
    if (!disagreement.empty()) {
      conflicts[key] = disagreement;
    }
  }
  return conflicts;
}

// One cluster's native PostgreSQL snapshots, as stored and as the catalogue reads them.
struct ClusterSnapshotsAudited {
  platform::Cluster cluster;
  std::vector<repo::Snapshot> stored;
  std::vector<AuditedSnapshot> audited;
};

std::map<std::pair<std::string, std::string>, ClusterSnapshotsAudited> NativePostgresSnapshots(
    const std::vector<repo::Snapshot>& snapshots) {
  std::map<std::pair<std::string, std::string>, ClusterSnapshotsAudited> out;
  for (const repo::Snapshot& snapshot : snapshots) {
    auto record = catalog::DecodeBaseBackup(snapshot);
    if (!record.ok() || !record->native || record->engine != platform::EngineKind::kPostgres) {
      continue;  // not a PostgreSQL native tree (a malformed tag is repo check's other business)
    }
    auto& group = out[{record->ns, record->cluster}];
    group.cluster.ns = record->ns;
    group.cluster.name = record->cluster;
    group.stored.push_back(snapshot);
    group.audited.push_back({repo::IdToHex(snapshot.id), std::move(*record)});
  }
  return out;
}

}  // namespace

const char* ParentDoubtName(ParentDoubt doubt) {
  switch (doubt) {
    case ParentDoubt::kTwoHistories: return "two-histories";
    case ParentDoubt::kInheritsTwoHistories: return "inherits-two-histories";
    case ParentDoubt::kUnproven: break;
  }
  return "unproven";
}

bool IsEvidenced(ParentDoubt doubt) {
  return doubt != ParentDoubt::kUnproven;
}

std::set<SegmentKey> SegmentsReliedOn(const AuditedSnapshot& incremental,
                                      const std::vector<AuditedSnapshot>& snapshots,
                                      uint64_t segment_bytes) {
  const catalog::BaseBackupRecord& r = incremental.record;
  const AuditedSnapshot* parent = Find(snapshots, r.parent);
  if (r.read != catalog::ReadMode::kIncremental ||
      r.parent_proof != catalog::ParentProof::kUnrecorded || parent == nullptr ||
      segment_bytes == 0) {
    return {};
  }
  auto from = parent->record.start();
  auto to = r.start();
  if (!from || !to || from->timeline != to->timeline || from->lsn > to->lsn ||
      (to->lsn - from->lsn) / segment_bytes > kMostSegmentsReliedOn) {
    return {};
  }
  std::set<SegmentKey> out;
  for (uint64_t segment = from->lsn / segment_bytes; segment <= to->lsn / segment_bytes;
       ++segment) {
    out.insert({to->timeline, segment});
  }
  return out;
}

std::vector<DoubtfulIncremental> JudgeIncrementals(const std::vector<AuditedSnapshot>& snapshots,
                                                   const SegmentConflicts& conflicts,
                                                   uint64_t segment_bytes) {
  // A child's doubt needs its parent's: judged parent first through the chain, not by snapshot
  // time (a skewed clock can date a child before its parent). `judged` holds every verdict,
  // nullopt for a proven one; a chain longer than the snapshots is a cycle of forged tags.
  std::map<std::string, std::optional<DoubtfulIncremental>> judged;
  std::function<std::optional<DoubtfulIncremental>(const AuditedSnapshot&, size_t)> judge =
      [&](const AuditedSnapshot& s, size_t depth) -> std::optional<DoubtfulIncremental> {
    if (auto it = judged.find(s.id); it != judged.end()) {
      return it->second;
    }
    if (s.record.read != catalog::ReadMode::kIncremental || s.record.parent.empty() ||
        depth > snapshots.size()) {
      return std::nullopt;  // it read everything: it lends nothing it did not read
    }
    const AuditedSnapshot* parent = Find(snapshots, s.record.parent);
    std::optional<DoubtfulIncremental> parent_doubt =
        parent != nullptr ? judge(*parent, depth + 1) : std::nullopt;
    judged[s.id] = OwnDoubt(s, parent, parent_doubt, conflicts, snapshots, segment_bytes);
    return judged[s.id];
  };
  std::vector<DoubtfulIncremental> out;
  for (const AuditedSnapshot& s : snapshots) {
    if (auto doubt = judge(s, 0)) {
      out.push_back(std::move(*doubt));
    }
  }
  return out;
}

core::Result<std::vector<DoubtfulIncremental>> AuditIncrementals(repo::Repository& repo) {
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(std::vector<repo::Snapshot> snapshots, repo.ListSnapshots());
  HS_ASSIGN_OR_RETURN(auto engine, engine::MakeEngine(platform::EngineKind::kPostgres));
  const engine::Archiving& archiving = *engine->archiving();
  std::vector<DoubtfulIncremental> out;
  for (auto& [key, group] : NativePostgresSnapshots(snapshots)) {
    std::set<SegmentKey> wanted;
    for (const AuditedSnapshot& s : group.audited) {
      wanted.merge(SegmentsReliedOn(s, group.audited, archiving.SegmentBytes()));
    }
    SegmentConflicts conflicts;
    if (!wanted.empty()) {
      HS_ASSIGN_OR_RETURN(conflicts, FindConflicts(repo, group.cluster, group.stored, group.audited,
                                                   archiving, wanted));
    }
    auto judged = JudgeIncrementals(group.audited, conflicts, archiving.SegmentBytes());
    out.insert(out.end(), judged.begin(), judged.end());
  }
  return out;
}

}  // namespace hasteward::verify
