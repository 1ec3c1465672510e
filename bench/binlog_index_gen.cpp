// bench/binlog_index_scale.sh's generator and probe. `gen` writes a synthetic binlog archive of N
// pieces straight into an existing repository the way the archiver stores a cycle
// (pitr::StoreBinlogPieces: a type=wal snapshot tagged archive=binlog with its manifest, and a
// binlog index delta, merged as cycles merge). Pieces are small and hold their own name (no two
// share a blob); consecutive pieces continue one binlog file, 1000 pieces a file. `load` times
// one BinlogCatalog load (what pitr status, a restore's plan and the archiver's first cycle read)
// through the index or by the snapshot scan the index replaces, and prints it as one JSON line.
//
//   RESTIC_PASSWORD=... binlog_index_gen gen <repo> <namespace> <cluster> <pieces> <per-snapshot>
//   RESTIC_PASSWORD=... binlog_index_gen load <repo> <namespace> <cluster> index|scan
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "catalog/binlog/binlog_catalog.h"
#include "catalog/binlog/binlog_index.h"
#include "pitr/binlog/binlog_archive.h"
#include "repo/backup/snapshot_writer.h"
#include "storage/registry.h"

namespace hasteward {
namespace {

constexpr uint32_t kFirstCommit = 1790000000;  // piece p's transaction committed then + p seconds
constexpr uint64_t kPiecesPerFile = 1000;
constexpr uint64_t kPieceBytes = 64;

pitr::BinlogPieceBytes SyntheticPiece(uint64_t number) {
  pitr::BinlogPieceBytes made;
  catalog::BinlogPiece& piece = made.piece;
  const uint64_t file_number = 1 + number / kPiecesPerFile;
  char file[32];
  std::snprintf(file, sizeof file, "mariadb-bin.%06llu",
                static_cast<unsigned long long>(file_number));
  piece.identity = {"db-0", 1, kFirstCommit, file};
  piece.start = (number % kPiecesPerFile) * kPieceBytes;
  piece.end = piece.start + kPieceBytes;
  piece.transactions = 1;
  piece.first_gtid = "0-1-" + std::to_string(number + 1);
  piece.last_gtid = piece.first_gtid;
  piece.first_time = kFirstCommit + static_cast<uint32_t>(number);
  piece.last_time = piece.first_time;
  piece.gtid_list_at_file_start = "0-1-" + std::to_string(number - number % kPiecesPerFile);
  piece.gtid_state_after = piece.last_gtid;
  piece.sealed = number % kPiecesPerFile == kPiecesPerFile - 1;
  piece.archived_at_ns = (uint64_t{kFirstCommit} + number) * 1000000000ULL;
  made.bytes = piece.PieceName();
  made.bytes.resize(kPieceBytes, '.');
  return made;
}

core::Result<std::unique_ptr<repo::Repository>> OpenRepo(const std::string& location) {
  const char* password = std::getenv("RESTIC_PASSWORD");
  if (password == nullptr) {
    return core::Usage("RESTIC_PASSWORD is not set");
  }
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(location));
  return repo::Repository::Open(std::move(backend), password);
}

core::Status Generate(const std::string& location, const platform::Cluster& cluster,
                      uint64_t pieces, uint64_t per_snapshot) {
  HS_ASSIGN_OR_RETURN(auto repo, OpenRepo(location));
  {
    // The empty archive's index, as a repository's first read builds it.
    HS_ASSIGN_OR_RETURN(catalog::BinlogIndex empty, catalog::BinlogIndex::Open(*repo, cluster));
    HS_TRY(empty.Replace({}));
  }
  repo::SnapshotWriterOptions options;
  options.dedup_against_repository = false;  // nothing repeats; a cycle's writer is small
  for (uint64_t first = 0; first < pieces; first += per_snapshot) {
    std::vector<pitr::BinlogPieceBytes> batch;
    for (uint64_t number = first; number < std::min(pieces, first + per_snapshot); ++number) {
      batch.push_back(SyntheticPiece(number));
    }
    HS_TRY(pitr::StoreBinlogPieces(*repo, cluster, batch, "db-0", options).status());
    const uint64_t stored = first + batch.size();
    std::fprintf(stderr, "\r%llu/%llu pieces", static_cast<unsigned long long>(stored),
                 static_cast<unsigned long long>(pieces));
  }
  std::fprintf(stderr, "\n");
  return core::Status::Ok();
}

core::Status Load(const std::string& location, const platform::Cluster& cluster, bool scan) {
  const auto started = std::chrono::steady_clock::now();
  HS_ASSIGN_OR_RETURN(auto repo, OpenRepo(location));
  HS_TRY(repo->LoadIndex());  // as every caller does first (a restore reads pieces through it)
  const double pack_index_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  HS_ASSIGN_OR_RETURN(catalog::BinlogCatalog catalog,
                      scan ? catalog::BinlogCatalog::LoadFromSnapshots(*repo, cluster)
                           : catalog::BinlogCatalog::Load(*repo, cluster));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  size_t pieces = 0;
  for (const auto& [key, file] : catalog.files()) {
    pieces += file.pieces.size();
  }
  std::printf(
      "{\"mode\":\"%s\",\"pieces\":%zu,\"files\":%zu,\"snapshots\":%zu,\"seconds\":%.3f,"
      "\"pack_index_seconds\":%.3f}\n",
      scan ? "scan" : "index", pieces, catalog.files().size(), catalog.snapshots(), seconds,
      pack_index_seconds);
  return core::Status::Ok();
}

}  // namespace
}  // namespace hasteward

int main(int argc, char** argv) {
  using namespace hasteward;
  const std::string mode = argc > 1 ? argv[1] : "";
  if (!((mode == "gen" && argc == 7) || (mode == "load" && argc == 6))) {
    std::fprintf(stderr,
                 "usage: %s gen <repo> <namespace> <cluster> <pieces> <per-snapshot>\n"
                 "       %s load <repo> <namespace> <cluster> index|scan\n",
                 argv[0], argv[0]);
    return 2;
  }
  platform::Cluster cluster;
  cluster.engine = platform::EngineKind::kMariadb;
  cluster.ns = argv[3];
  cluster.name = argv[4];
  core::Status done = mode == "gen"
                          ? Generate(argv[2], cluster, std::strtoull(argv[5], nullptr, 10),
                                     std::max<uint64_t>(1, std::strtoull(argv[6], nullptr, 10)))
                          : Load(argv[2], cluster, std::string(argv[5]) == "scan");
  if (!done.ok()) {
    std::fprintf(stderr, "%s\n", done.ToString().c_str());
    return static_cast<int>(done.code());
  }
  return 0;
}
