#include "pitr/binlog/binlog_stream_runs.h"

#include <algorithm>
#include <utility>

namespace hasteward::pitr {

namespace {

// Whether a rewind was recorded between two pieces' stamps: their transactions belong to
// different histories, so they are never merged into one piece (one stamp).
bool RewindBetween(const std::vector<catalog::BinlogRewind>& rewinds, uint64_t from_ns,
                   uint64_t to_ns) {
  return std::any_of(rewinds.begin(), rewinds.end(), [&](const catalog::BinlogRewind& rewind) {
    return rewind.at_ns > from_ns && rewind.at_ns <= to_ns;
  });
}

}  // namespace

std::vector<BinlogPieceBytes> MergeStreamedRuns(std::vector<catalog::StreamedBinlogPiece> pieces,
                                                const std::vector<catalog::BinlogRewind>& rewinds) {
  std::sort(pieces.begin(), pieces.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.piece.identity.Key(), a.piece.start) <
           std::make_pair(b.piece.identity.Key(), b.piece.start);
  });
  std::vector<BinlogPieceBytes> runs;
  for (auto& streamed : pieces) {
    const catalog::BinlogPiece& piece = streamed.piece;
    BinlogPieceBytes* last = runs.empty() ? nullptr : &runs.back();
    const bool continues =
        last != nullptr && last->piece.identity.Key() == piece.identity.Key() &&
        last->piece.end == piece.start &&
        !RewindBetween(rewinds, last->piece.archived_at_ns, piece.archived_at_ns);
    if (!continues) {
      runs.push_back({piece, std::move(streamed.bytes)});
      continue;
    }
    last->bytes += streamed.bytes;
    last->piece.end = piece.end;
    last->piece.transactions += piece.transactions;
    if (last->piece.first_gtid.empty()) {
      last->piece.first_gtid = piece.first_gtid;
      last->piece.first_time = piece.first_time;
    }
    if (!piece.last_gtid.empty()) {
      last->piece.last_gtid = piece.last_gtid;
      last->piece.last_time = piece.last_time;
    }
    last->piece.gtid_state_after = piece.gtid_state_after;
    last->piece.sealed = piece.sealed;
  }
  return runs;
}

}  // namespace hasteward::pitr
