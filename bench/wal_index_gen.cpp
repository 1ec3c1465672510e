// bench/wal_index_scale.sh's generator: a synthetic WAL archive of N segments written straight
// into an existing repository, the way wal-push writes it (type=wal snapshots with push's tags, an
// archive index delta per snapshot, merged as pushes merge), plus one native base backup at the
// first segment, recorded in the index as `backup --method native` records it, so `pitr status`
// has a window to compute. The deltas are merged at the end (a
// push's steady state: at most 16 deltas of a few files). Segments are small (the count is what
// the bench scales); each holds its own name, so no two share a blob.
//
//   RESTIC_PASSWORD=... wal_index_gen <repo> <namespace> <cluster> <segments> <per-snapshot>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "catalog/wal/wal_bases.h"
#include "catalog/wal/wal_index.h"
#include "catalog/wal/wal_index_append.h"
#include "catalog/wal/wal_path.h"
#include "core/byte_stream.h"
#include "engine/engine.h"
#include "jobs/jobs.h"
#include "pitr/pitr.h"
#include "pitr/wal/wal_retention.h"
#include "repo/backup/snapshot_writer.h"
#include "storage/registry.h"

namespace hasteward {
namespace {

constexpr int64_t kFirstWrite = 1790000000;  // segment s was last written kFirstWrite + s seconds

core::Result<repo::Id> WriteBase(repo::Repository& repo, const platform::Cluster& cluster) {
  repo::SnapshotWriterOptions options;
  HS_ASSIGN_OR_RETURN(auto writer, repo::SnapshotWriter::Open(repo, options));
  const std::string label = "synthetic base";
  HS_TRY(writer->BeginFile(cluster.ns + "/" + cluster.name + "/pgdata/backup_label"));
  HS_TRY(writer->Append(core::AsBytes(label)));
  HS_TRY(writer->FinishFile().status());
  repo::CommitOptions commit;
  commit.tags = jobs::SnapshotTags(cluster, repo::SnapshotType::kBackup, "");
  // Consistent in segment 1 of timeline 1, where the synthetic archive starts.
  for (const char* tag :
       {"method=native", "timeline=1", "start_lsn=0/1000028", "stop_lsn=0/1000100"}) {
    commit.tags.emplace_back(tag);
  }
  commit.time = repo::GoTime{kFirstWrite, 0, 0};
  HS_ASSIGN_OR_RETURN(repo::BackupSummary summary, writer->Commit(commit));
  return summary.snapshot_id;
}

core::Status WriteBatch(repo::Repository& repo, const platform::Cluster& cluster,
                        const engine::Archiving& archiving, uint64_t first, uint64_t count) {
  repo::SnapshotWriterOptions options;
  options.dedup_against_repository = false;  // as wal-push
  HS_ASSIGN_OR_RETURN(auto writer, repo::SnapshotWriter::Open(repo, options));
  catalog::CommittedWal committed;
  const std::string dir = catalog::WalPath(cluster);
  std::string name;
  for (uint64_t segment = first; segment < first + count; ++segment) {
    name = archiving.SegmentFileName(1, segment);
    std::string content = name + std::string(40, '.');
    repo::NodeAttributes attributes;
    attributes.permissions = 0600;
    attributes.mtime = repo::GoTime{kFirstWrite + static_cast<int64_t>(segment), 0, 0};
    HS_TRY(writer->BeginFile(dir + "/" + name, attributes));
    HS_TRY(writer->Append(core::AsBytes(content)));
    HS_TRY(writer->FinishFile().status());
    committed.sha256[name] = repo::IdToHex(repo::Sha256(core::AsBytes(content)));
  }
  repo::CommitOptions commit;
  commit.tags = jobs::SnapshotTags(cluster, repo::SnapshotType::kWal, "");
  commit.tags.push_back("wal_first=" + archiving.SegmentFileName(1, first));
  commit.tags.push_back("wal_files=" + std::to_string(count));
  commit.tags.push_back(std::string(pitr::kWalLastTag) + "=" + name);
  commit.hostname = cluster.ns + "-" + cluster.name;
  commit.paths = {"/" + dir};
  HS_ASSIGN_OR_RETURN(repo::BackupSummary summary, writer->Commit(commit));
  committed.snapshot_id = summary.snapshot_id;
  committed.tree_id = summary.tree_id;
  HS_ASSIGN_OR_RETURN(auto entries, catalog::CommittedEntries(repo, cluster, archiving, committed));
  return catalog::AppendToIndex(repo, cluster, entries);
}

core::Status Generate(const std::string& location, const platform::Cluster& cluster,
                      uint64_t segments, uint64_t per_snapshot) {
  const char* password = std::getenv("RESTIC_PASSWORD");
  if (password == nullptr) {
    return core::Usage("RESTIC_PASSWORD is not set");
  }
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(location));
  HS_ASSIGN_OR_RETURN(auto repo, repo::Repository::Open(std::move(backend), password));
  HS_ASSIGN_OR_RETURN(auto engine, engine::MakeEngine(cluster.engine));
  {
    // The empty archive's index, as the first push builds it.
    HS_ASSIGN_OR_RETURN(catalog::WalIndex empty, catalog::WalIndex::Open(*repo, cluster));
    HS_TRY(empty.Replace({}, {}));
  }
  // The base, recorded in the index as `backup --method native` records it.
  HS_ASSIGN_OR_RETURN(repo::Id base, WriteBase(*repo, cluster));
  HS_TRY(catalog::RecordBaseBackup(*repo, cluster, engine->archiving(), base));
  for (uint64_t first = 1; first <= segments; first += per_snapshot) {
    const uint64_t count = std::min(per_snapshot, segments + 1 - first);
    HS_TRY(WriteBatch(*repo, cluster, *engine->archiving(), first, count));
    std::fprintf(stderr, "\r%llu/%llu segments", static_cast<unsigned long long>(first + count - 1),
                 static_cast<unsigned long long>(segments));
  }
  std::fprintf(stderr, "\n");
  // Pushes leave at most kMaxIndexDeltas deltas of a few files each; this generator's deltas hold
  // a whole batch, so they are merged now to leave the index as a push's steady state has it.
  HS_ASSIGN_OR_RETURN(catalog::WalIndex index, catalog::WalIndex::Open(*repo, cluster));
  return index.Compact(0);
}

}  // namespace
}  // namespace hasteward

int main(int argc, char** argv) {
  using namespace hasteward;
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s <repo> <namespace> <cluster> <segments> <per-snapshot>\n",
                 argv[0]);
    return 2;
  }
  platform::Cluster cluster;
  cluster.engine = platform::EngineKind::kPostgres;
  cluster.ns = argv[2];
  cluster.name = argv[3];
  core::Status done = Generate(argv[1], cluster, std::strtoull(argv[4], nullptr, 10),
                               std::max<uint64_t>(1, std::strtoull(argv[5], nullptr, 10)));
  if (!done.ok()) {
    std::fprintf(stderr, "%s\n", done.ToString().c_str());
    return static_cast<int>(done.code());
  }
  return 0;
}
