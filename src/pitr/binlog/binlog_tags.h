// pitr/binlog/binlog_tags: what a binlog snapshot says about its pieces and rewinds in its tags, so
// that prune (pitr/binlog/binlog_retention.h) decides from the snapshot listing alone, without
// reading every manifest. The manifest stays the authority for restores; the tags repeat the few
// fields retention needs. Snapshots archived before these tags existed carry none: retention keeps
// them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "catalog/binlog/binlog_catalog.h"

namespace hasteward::pitr {

// One tag per piece: "binlog_piece=<start>-<end>/<sealed|open>/<archived_at_ns>/<last_time>/
// <state after, ',' written as '+'>/<file key>". Commas never appear in these tags: restic's
// command line splits --tag values at them.
constexpr const char* kBinlogPieceTag = "binlog_piece";
// The number of pieces a snapshot holds (older archivers wrote it too).
constexpr const char* kBinlogPiecesTag = "binlog_pieces";
// On a rewind's snapshot: "binlog_rewind=yes", and since these tags exist its time and state.
constexpr const char* kBinlogRewindTag = "binlog_rewind";
constexpr const char* kBinlogRewindAtTag = "binlog_rewind_at";
constexpr const char* kBinlogRewindStateTag = "binlog_rewind_state";

// What retention needs of one piece.
struct BinlogPieceFacts {
  std::string file_key;  // catalog::BinlogFileIdentity::Key()
  uint64_t start = 0;
  uint64_t end = 0;
  bool sealed = false;
  uint64_t archived_at_ns = 0;
  uint32_t last_time = 0;
  std::string state_after;
};

// The full tag ("binlog_piece=...") for `piece`.
std::string BinlogPieceTag(const catalog::BinlogPiece& piece);
// The facts in a tag's value (after "binlog_piece="); nullopt when it does not parse.
std::optional<BinlogPieceFacts> ParseBinlogPieceTag(const std::string& value);

// A GTID state in a tag: ',' written as '+', and back.
std::string StateToTag(const std::string& state);
std::string StateFromTag(const std::string& value);

}  // namespace hasteward::pitr
