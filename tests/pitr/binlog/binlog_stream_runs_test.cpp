// How the binlog receiver's streamed pieces become one snapshot's pieces
// (pitr/binlog/binlog_stream_runs.h): contiguous pieces of one file merge into one, with the first
// one's start and first transaction and the last one's end, state and seal; a hole, another file
// or a rewind between two stamps starts another piece; the bytes follow the offsets.
#include "pitr/binlog/binlog_stream_runs.h"

#include <gtest/gtest.h>

namespace hasteward::pitr {
// Its own namespace: a helper's name is also another test file's (unity batches).
namespace binlog_stream_runs_test {
namespace {

catalog::StreamedBinlogPiece Streamed(const std::string& file, uint64_t start, uint64_t end,
                                      uint64_t stamp, bool sealed = false) {
  catalog::StreamedBinlogPiece streamed;
  catalog::BinlogPiece& piece = streamed.piece;
  piece.identity = {"db-0", 1, 1763870000, file};
  piece.start = start;
  piece.end = end;
  piece.transactions = 1;
  piece.first_gtid = piece.last_gtid = "0-1-" + std::to_string(end);
  piece.first_time = piece.last_time = static_cast<uint32_t>(1763870000 + end);
  piece.gtid_list_at_file_start = "0-1-4";
  piece.gtid_state_after = piece.last_gtid;
  piece.sealed = sealed;
  piece.archived_at_ns = stamp;
  streamed.object = file + "." + std::to_string(start);
  for (uint64_t at = start; at < end; ++at) {
    streamed.bytes.push_back(static_cast<char>('a' + at % 26));
  }
  return streamed;
}

TEST(BinlogStreamRunsTest, ContiguousPiecesOfAFileMergeInOffsetOrder) {
  // Given out of order: the merge sorts by file and offset.
  auto runs = MergeStreamedRuns({Streamed("mariadb-bin.000002", 200, 300, 30, true),
                                 Streamed("mariadb-bin.000002", 100, 200, 20)},
                                {});
  ASSERT_EQ(runs.size(), 1U);
  const catalog::BinlogPiece& piece = runs[0].piece;
  EXPECT_EQ(piece.start, 100U);
  EXPECT_EQ(piece.end, 300U);
  EXPECT_EQ(piece.transactions, 2U);
  EXPECT_EQ(piece.first_gtid, "0-1-200");
  EXPECT_EQ(piece.last_gtid, "0-1-300");
  EXPECT_EQ(piece.gtid_state_after, "0-1-300");
  EXPECT_TRUE(piece.sealed) << "the last piece ends the file";
  EXPECT_EQ(piece.archived_at_ns, 20U) << "the first piece's stamp";
  EXPECT_EQ(runs[0].bytes, Streamed("x", 100, 300, 0).bytes);
}

TEST(BinlogStreamRunsTest, AHoleAnotherFileOrARewindStartsAnotherPiece) {
  auto runs = MergeStreamedRuns(
      {Streamed("mariadb-bin.000002", 100, 200, 10), Streamed("mariadb-bin.000002", 250, 300, 20),
       Streamed("mariadb-bin.000003", 0, 120, 30), Streamed("mariadb-bin.000003", 120, 180, 50)},
      {catalog::BinlogRewind{40, "0-1-120", std::nullopt, std::nullopt}});
  ASSERT_EQ(runs.size(), 4U);
  EXPECT_EQ(runs[0].piece.end, 200U);
  EXPECT_EQ(runs[1].piece.start, 250U) << "after a hole";
  EXPECT_EQ(runs[2].piece.identity.file, "mariadb-bin.000003");
  EXPECT_EQ(runs[3].piece.start, 120U) << "a rewind at 40 lies between the stamps 30 and 50";
  auto merged = MergeStreamedRuns(
      {Streamed("mariadb-bin.000003", 0, 120, 30), Streamed("mariadb-bin.000003", 120, 180, 50)},
      {catalog::BinlogRewind{60, "0-1-120", std::nullopt, std::nullopt}});
  EXPECT_EQ(merged.size(), 1U) << "a rewind after both stamps does not separate them";
}

}  // namespace
}  // namespace binlog_stream_runs_test
}  // namespace hasteward::pitr
