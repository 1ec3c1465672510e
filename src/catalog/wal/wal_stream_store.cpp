#include "catalog/wal/wal_stream_store.h"

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
constexpr StreamPieceMagic kPieceMagic = {'H', 'S', 'W', '1'};

std::string PieceHex(uint64_t value, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(value));
  return buf;
}

// "<timeline 8>-<segment 16>-<start 8>-<end 8>-<id>.piece" after "<key>-".
std::optional<WalPiece> ParsePiece(const std::string& rest, const std::string& file) {
  unsigned timeline = 0;
  unsigned long long segment = 0;
  unsigned start = 0;
  unsigned end = 0;
  int consumed = 0;
  if (std::sscanf(rest.c_str(), "%8x-%16llx-%8x-%8x-%n", &timeline, &segment, &start, &end,
                  &consumed) != 4 ||
      consumed == 0 || start >= end) {
    return std::nullopt;
  }
  return WalPiece{timeline, segment, start, end, file};
}

bool PieceOrder(const WalPiece& a, const WalPiece& b) {
  return std::tie(a.start, a.end, a.file) < std::tie(b.start, b.end, b.file);
}

core::Status Corrupt(const WalPiece& piece, const std::string& why) {
  return core::Status(core::ErrorCode::kCorruption,
                      "WAL stream piece 'hasteward/wal-stream/" + piece.file + "' " + why,
                      "the segment's archived copy, once whole, does not need it: run "
                      "'hasteward pitr status' and keep the repository for investigation");
}

}  // namespace

uint32_t ContiguousEnd(const std::vector<WalPiece>& pieces) {
  std::vector<WalPiece> sorted = pieces;
  std::sort(sorted.begin(), sorted.end(), PieceOrder);
  uint32_t end = 0;
  for (const WalPiece& piece : sorted) {
    if (piece.start > end) {
      break;
    }
    end = std::max(end, piece.end);
  }
  return end;
}

core::Result<WalStreamStore> WalStreamStore::Open(repo::Repository& repo,
                                                  const platform::Cluster& cluster) {
  WalStreamStore store(repo, {cluster.ns + "/" + cluster.name, ""}, ArchiveFileKey(cluster));
  const std::string prefix = store.key_ + "-";
  core::Status listed = repo.backend().List(
      storage::FileType::kWalStream, [&](const storage::FileInfo& info) -> core::Status {
        if (info.name.rfind(prefix, 0) != 0 ||
            !storage::IsValidName(storage::FileType::kWalStream, info.name)) {
          return core::Status::Ok();
        }
        if (auto piece = ParsePiece(info.name.substr(prefix.size()), info.name)) {
          store.segments_[{piece->timeline, piece->segment}].push_back(*piece);
        }
        return core::Status::Ok();
      });
  if (!listed.ok()) {
    return listed.Wrap("list the WAL stream (hasteward/wal-stream/)");
  }
  for (auto& [key, pieces] : store.segments_) {
    std::sort(pieces.begin(), pieces.end(), PieceOrder);
  }
  return store;
}

std::vector<WalPiece> WalStreamStore::Pieces(uint32_t timeline, uint64_t segment) const {
  std::lock_guard lock(*mu_);
  auto found = segments_.find({timeline, segment});
  return found == segments_.end() ? std::vector<WalPiece>{} : found->second;
}

std::vector<std::pair<uint32_t, uint64_t>> WalStreamStore::Segments() const {
  std::lock_guard lock(*mu_);
  std::vector<std::pair<uint32_t, uint64_t>> out;
  for (const auto& [key, pieces] : segments_) {
    out.push_back(key);
  }
  return out;
}

core::Result<WalPiece> WalStreamStore::Write(uint32_t timeline, uint64_t segment, uint32_t start,
                                             core::ByteView data, const std::string& system_id) {
  if (data.empty()) {
    return core::Usage("an empty WAL stream piece");
  }
  const auto end = static_cast<uint32_t>(start + data.size());
  const nlohmann::json header = {
      {"cluster", owner_.cluster}, {"system_id", system_id}, {"timeline", timeline},
      {"segment", segment},        {"start", start},         {"end", end}};
  const std::string file = key_ + "-" + PieceHex(timeline, 8) + "-" + PieceHex(segment, 16) + "-" +
                           PieceHex(start, 8) + "-" + PieceHex(end, 8) + "-" + NewIndexFileId() +
                           std::string(kPieceSuffix);
  core::Status saved =
      repo_->backend().Save({storage::FileType::kWalStream, file},
                            SealStreamPiece(repo_->key(), kPieceMagic, header, data));
  if (!saved.ok()) {
    return saved.Wrap("store WAL bytes " + std::to_string(start) + ".." + std::to_string(end) +
                      " of segment " + PieceHex(segment, 16) + " (timeline " +
                      std::to_string(timeline) + ")");
  }
  WalPiece piece{timeline, segment, start, end, file};
  std::lock_guard lock(*mu_);
  auto& pieces = segments_[{timeline, segment}];
  pieces.push_back(piece);
  std::sort(pieces.begin(), pieces.end(), PieceOrder);
  return piece;
}

core::Result<core::Bytes> WalStreamStore::ReadPiece(const WalPiece& piece,
                                                    const std::string& system_id) {
  core::Bytes stored;
  HS_TRY(repo_->backend()
             .Load({storage::FileType::kWalStream, piece.file}, 0, 0, &stored)
             .Wrap("read WAL stream piece '" + piece.file + "'"));
  std::optional<OpenedStreamPiece> opened = OpenStreamPiece(repo_->key(), kPieceMagic, stored);
  if (!opened) {
    return Corrupt(piece, "cannot be read (torn, cut short, altered, or another key's)");
  }
  const nlohmann::json& header = opened->header;
  if (header.value("cluster", "") != owner_.cluster ||
      header.value("timeline", 0U) != piece.timeline ||
      header.value("segment", uint64_t{0}) != piece.segment ||
      header.value("start", 0U) != piece.start || header.value("end", 0U) != piece.end) {
    return Corrupt(piece, "does not hold what its name says (or belongs to another cluster)");
  }
  const std::string stored_system = header.value("system_id", "");
  if (!system_id.empty() && !stored_system.empty() && stored_system != system_id) {
    return Corrupt(piece, "was received from server " + stored_system + ", not " + system_id);
  }
  core::Bytes data = std::move(opened->data);
  if (data.size() != piece.end - piece.start) {
    return Corrupt(piece, "holds " + std::to_string(data.size()) + " bytes, not " +
                              std::to_string(piece.end - piece.start));
  }
  return data;
}

core::Result<StreamedSegment> WalStreamStore::Read(uint32_t timeline, uint64_t segment,
                                                   uint64_t segment_bytes,
                                                   const std::string& system_id) {
  const std::vector<WalPiece> pieces = Pieces(timeline, segment);
  if (pieces.empty()) {
    return core::NotFound("no WAL stream pieces of segment " + PieceHex(segment, 16) +
                          " (timeline " + std::to_string(timeline) + ")");
  }
  StreamedSegment out{timeline, segment, 0, core::Bytes(segment_bytes, 0)};
  // Which bytes a piece already wrote: an overlap must agree.
  std::vector<bool> covered(segment_bytes, false);
  for (const WalPiece& piece : pieces) {
    if (piece.end > segment_bytes) {
      return Corrupt(piece, "ends past the segment's " + std::to_string(segment_bytes) + " bytes");
    }
    HS_ASSIGN_OR_RETURN(core::Bytes data, ReadPiece(piece, system_id));
    for (uint32_t i = 0; i < data.size(); ++i) {
      const uint32_t at = piece.start + i;
      if (covered[at] && out.bytes[at] != data[i]) {
        return Corrupt(piece, "differs at byte " + std::to_string(at) +
                                  " from another piece of the same segment");
      }
      out.bytes[at] = data[i];
      covered[at] = true;
    }
  }
  while (out.durable_end < segment_bytes && covered[out.durable_end]) {
    ++out.durable_end;
  }
  // Bytes past a hole were never acknowledged as part of the segment: replay stops at the hole.
  std::fill(out.bytes.begin() + out.durable_end, out.bytes.end(), 0);
  return out;
}

core::Status WalStreamStore::Remove(const std::vector<WalPiece>& pieces) {
  for (const WalPiece& piece : pieces) {
    core::Status removed = repo_->backend().Remove({storage::FileType::kWalStream, piece.file});
    if (!removed.ok() && removed.code() != core::ErrorCode::kNotFound) {
      return removed.Wrap("remove WAL stream piece '" + piece.file + "'");
    }
    std::lock_guard lock(*mu_);
    auto found = segments_.find({piece.timeline, piece.segment});
    if (found != segments_.end()) {
      std::erase_if(found->second, [&](const WalPiece& p) { return p.file == piece.file; });
      if (found->second.empty()) {
        segments_.erase(found);
      }
    }
  }
  return core::Status::Ok();
}

core::Result<size_t> WalStreamStore::Merge(uint32_t timeline, uint64_t segment,
                                           uint64_t segment_bytes, const std::string& system_id) {
  const std::vector<WalPiece> old = Pieces(timeline, segment);
  if (old.size() < 2) {
    return size_t{0};
  }
  HS_ASSIGN_OR_RETURN(StreamedSegment whole, Read(timeline, segment, segment_bytes, system_id));
  if (whole.durable_end == 0) {
    return size_t{0};
  }
  HS_TRY(
      Write(timeline, segment, 0, core::ByteView(whole.bytes.data(), whole.durable_end), system_id)
          .status());
  // Only pieces inside what the merged one holds go: a piece past a hole stays.
  std::vector<WalPiece> replaced;
  for (const WalPiece& piece : old) {
    if (piece.end <= whole.durable_end) {
      replaced.push_back(piece);
    }
  }
  HS_TRY(Remove(replaced));
  return replaced.size();
}

}  // namespace hasteward::catalog
