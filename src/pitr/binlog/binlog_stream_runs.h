// pitr/binlog/binlog_stream_runs: how the binlog receiver's streamed pieces
// (catalog/binlog/binlog_stream_store.h) become the pieces of one ordinary binlog snapshot.
#pragma once

#include <vector>

#include "catalog/binlog/binlog_catalog.h"
#include "catalog/binlog/binlog_stream_store.h"
#include "pitr/binlog/binlog_archive.h"

namespace hasteward::pitr {

// Contiguous streamed pieces of one file become one archive piece: the first one's start, file
// header state, first transaction and stamp, the last one's end, state, last transaction and
// seal, the transactions summed. A hole, another file, or a restore's rewind recorded between two
// pieces' stamps (their transactions belong to different histories) starts another piece.
std::vector<BinlogPieceBytes> MergeStreamedRuns(std::vector<catalog::StreamedBinlogPiece> pieces,
                                                const std::vector<catalog::BinlogRewind>& rewinds);

}  // namespace hasteward::pitr
