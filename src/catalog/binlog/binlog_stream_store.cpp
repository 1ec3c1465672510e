#include "catalog/binlog/binlog_stream_store.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <tuple>

#include <nlohmann/json.hpp>

#include "catalog/stream_piece.h"
#include "catalog/wal/wal_index.h"

namespace hasteward::catalog {

namespace {

constexpr std::string_view kPieceSuffix = ".piece";
// Beside the WAL receiver's "<key>-<timeline hex>-..." pieces: 'm' is no hex digit, so neither
// store ever parses the other's names.
constexpr std::string_view kBinlogTag = "-mb-";
constexpr StreamPieceMagic kPieceMagic = {'H', 'S', 'B', '1'};

std::string Hex16(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

core::Status Corrupt(const std::string& object, const std::string& why) {
  return core::Status(core::ErrorCode::kCorruption,
                      "binlog stream piece 'hasteward/wal-stream/" + object + "' " + why,
                      "run 'hasteward pitr status' and keep the repository for investigation");
}

}  // namespace

core::Result<BinlogStreamStore> BinlogStreamStore::Open(repo::Repository& repo,
                                                        const platform::Cluster& cluster) {
  BinlogStreamStore store(repo, cluster.ns + "/" + cluster.name, ArchiveFileKey(cluster));
  const std::string prefix = store.key_ + std::string(kBinlogTag);
  core::Status listed = repo.backend().List(
      storage::FileType::kWalStream, [&](const storage::FileInfo& info) -> core::Status {
        if (info.name.rfind(prefix, 0) == 0 &&
            storage::IsValidName(storage::FileType::kWalStream, info.name)) {
          store.objects_.push_back(info.name);
        }
        return core::Status::Ok();
      });
  if (!listed.ok()) {
    return listed.Wrap("list the binlog stream (hasteward/wal-stream/)");
  }
  // The stamp leads the name: name order is stamp order.
  std::sort(store.objects_.begin(), store.objects_.end());
  return store;
}

std::vector<std::string> BinlogStreamStore::objects() const {
  std::lock_guard lock(*mu_);
  return objects_;
}

core::Result<StreamedBinlogPiece> BinlogStreamStore::Write(const BinlogPiece& piece,
                                                           const std::string& bytes) {
  if (bytes.size() != piece.end - piece.start || bytes.empty()) {
    return core::Usage("a binlog stream piece of " + std::to_string(bytes.size()) +
                       " bytes for the range " + std::to_string(piece.start) + ".." +
                       std::to_string(piece.end));
  }
  const nlohmann::json header = {{"cluster", cluster_}, {"piece", PieceToJson(piece)}};
  const std::string object = key_ + std::string(kBinlogTag) + Hex16(piece.archived_at_ns) + "-" +
                             Hex16(piece.start) + "-" + NewIndexFileId() +
                             std::string(kPieceSuffix);
  HS_TRY(repo_->backend()
             .Save({storage::FileType::kWalStream, object},
                   SealStreamPiece(repo_->key(), kPieceMagic, header, core::AsBytes(bytes)))
             .Wrap("store binlog bytes " + std::to_string(piece.start) + ".." +
                   std::to_string(piece.end) + " of " + piece.identity.file));
  {
    std::lock_guard lock(*mu_);
    objects_.push_back(object);
  }
  return StreamedBinlogPiece{piece, object, bytes};
}

core::Result<StreamedBinlogPiece> BinlogStreamStore::ReadPiece(const std::string& object) const {
  core::Bytes stored;
  HS_TRY(repo_->backend()
             .Load({storage::FileType::kWalStream, object}, 0, 0, &stored)
             .Wrap("read binlog stream piece '" + object + "'"));
  std::optional<OpenedStreamPiece> opened = OpenStreamPiece(repo_->key(), kPieceMagic, stored);
  if (!opened) {
    return Corrupt(object, "cannot be read (torn, cut short, altered, or another key's)");
  }
  const nlohmann::json& header = opened->header;
  if (header.value("cluster", "") != cluster_ || !header.contains("piece")) {
    return Corrupt(object, "belongs to another cluster or has no piece record");
  }
  auto piece = PieceFromJson(header["piece"]);
  if (!piece.ok()) {
    return Corrupt(object, "has a malformed piece record");
  }
  StreamedBinlogPiece out{*piece, object, std::string(opened->data.begin(), opened->data.end())};
  if (out.bytes.size() != out.piece.end - out.piece.start) {
    return Corrupt(object, "holds " + std::to_string(out.bytes.size()) + " bytes, not " +
                               std::to_string(out.piece.end - out.piece.start));
  }
  return out;
}

core::Result<std::vector<StreamedBinlogPiece>> BinlogStreamStore::ReadAll() const {
  std::vector<StreamedBinlogPiece> pieces;
  for (const std::string& object : objects()) {
    auto piece = ReadPiece(object);
    if (!piece.ok() && piece.status().code() == core::ErrorCode::kNotFound) {
      continue;  // moved into a snapshot and removed since the listing
    }
    HS_ASSIGN_OR_RETURN(StreamedBinlogPiece read, std::move(piece));
    pieces.push_back(std::move(read));
  }
  return pieces;
}

core::Status BinlogStreamStore::Remove(const std::vector<std::string>& objects) {
  for (const std::string& object : objects) {
    core::Status removed = repo_->backend().Remove({storage::FileType::kWalStream, object});
    if (!removed.ok() && removed.code() != core::ErrorCode::kNotFound) {
      return removed.Wrap("remove binlog stream piece '" + object + "'");
    }
    std::lock_guard lock(*mu_);
    std::erase(objects_, object);
  }
  return core::Status::Ok();
}

core::Result<size_t> AddStreamedPieces(BinlogCatalog& catalog,
                                       const std::vector<StreamedBinlogPiece>& streamed) {
  std::vector<const StreamedBinlogPiece*> ordered;
  ordered.reserve(streamed.size());
  for (const auto& piece : streamed) {
    ordered.push_back(&piece);
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return std::make_tuple(a->piece.identity.Key(), a->piece.start, a->piece.end) <
           std::make_tuple(b->piece.identity.Key(), b->piece.start, b->piece.end);
  });
  size_t added = 0;
  for (const StreamedBinlogPiece* streamed_piece : ordered) {
    const ArchivedBinlogFile* file = catalog.Find(streamed_piece->piece.identity);
    const uint64_t end = file == nullptr ? 0 : file->End();
    if (streamed_piece->piece.end <= end) {
      continue;  // a snapshot holds it already
    }
    BinlogPiece piece = streamed_piece->piece;
    std::string bytes = streamed_piece->bytes;
    if (piece.start < end) {
      // Held in part (the archiver stored up to a transaction inside it): the same file's bytes
      // from the same offset, so the rest continues the snapshot's exactly. Only the end-side
      // facts (end, state after, last time, seal: what retention reads) stay exact; the first
      // transaction and the count describe the untrimmed piece, and replay rescans the bytes.
      bytes.erase(0, end - piece.start);
      piece.start = end;
    }
    catalog.AddStreamed(piece, std::move(bytes));
    ++added;
  }
  return added;
}

core::Result<BinlogCatalog> LoadBinlogCatalogWithStream(repo::Repository& repo,
                                                        const platform::Cluster& cluster) {
  HS_ASSIGN_OR_RETURN(BinlogCatalog catalog, BinlogCatalog::Load(repo, cluster));
  HS_ASSIGN_OR_RETURN(BinlogStreamStore store, BinlogStreamStore::Open(repo, cluster));
  HS_ASSIGN_OR_RETURN(std::vector<StreamedBinlogPiece> streamed, store.ReadAll());
  HS_TRY(AddStreamedPieces(catalog, streamed).status());
  return catalog;
}

}  // namespace hasteward::catalog
