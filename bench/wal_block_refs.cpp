// The WAL block reference reader's parse speed (issue #33): reads the segments of [FROM, TO) of a
// timeline-1 pg_wal (or archive) directory into memory, then times WalBlockReferenceReader over
// them RUNS times (the files are read once, before timing: the figure is the parser's, not the
// disk's). Prints the median MB/s, the records read and the distinct blocks found; with
// --blocks, every block as pg_waldump names it ("rel T/D/R fork F blk B", one a line) for a
// comparison with pg_waldump's.
//
//   build/bench/wal_block_refs_bench DIR FROM TO [runs] [--blocks]   (FROM, TO as "X/Y")
#include "engine/postgres/wal_block_refs.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/fd.h"
#include "engine/postgres/triage_timeline.h"
#include "engine/postgres/wal_names.h"

namespace {

using hasteward::engine::postgres::ChangedBlocks;
using hasteward::engine::postgres::ForkNumber;
using hasteward::engine::postgres::kWalSegmentBytes;
using hasteward::engine::postgres::RelationFork;
using hasteward::engine::postgres::WalBlockReferenceReader;

const char* ForkName(ForkNumber fork) {
  switch (fork) {
    case ForkNumber::kMain: return "main";
    case ForkNumber::kFsm: return "fsm";
    case ForkNumber::kVisibilityMap: return "vm";
    case ForkNumber::kInit: return "init";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DIR FROM TO [runs] [--blocks]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  auto from = hasteward::engine::postgres::ParseLsn(argv[2]);
  auto to = hasteward::engine::postgres::ParseLsn(argv[3]);
  const int runs = argc > 4 && std::strcmp(argv[4], "--blocks") != 0 ? std::atoi(argv[4]) : 5;
  const bool print_blocks = std::strcmp(argv[argc - 1], "--blocks") == 0;
  if (!from || !to || *to <= *from || runs < 1) {
    std::fprintf(stderr, "FROM and TO must be LSNs X/Y with FROM < TO\n");
    return 2;
  }
  std::vector<std::string> segments;
  for (uint64_t n = *from / kWalSegmentBytes; n <= (*to - 1) / kWalSegmentBytes; ++n) {
    auto bytes = hasteward::core::ReadFileToString(
        dir + "/" + hasteward::engine::postgres::WalSegmentFileName(1, n));
    if (!bytes.ok()) {
      std::fprintf(stderr, "%s\n", bytes.status().ToString().c_str());
      return 1;
    }
    segments.push_back(std::move(*bytes));
  }
  const uint64_t first = *from / kWalSegmentBytes * kWalSegmentBytes;

  std::vector<double> seconds;
  uint64_t records = 0;
  size_t blocks = 0;
  ChangedBlocks last;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    WalBlockReferenceReader reader(*from, *to);
    for (size_t i = 0; i < segments.size(); ++i) {
      auto status = reader.AddSegment(first + i * kWalSegmentBytes, segments[i]);
      if (!status.ok()) {
        std::fprintf(stderr, "%s\n", status.ToString().c_str());
        return 1;
      }
    }
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!reader.Covered()) {
      std::fprintf(stderr, "the segments do not cover the interval\n");
      return 1;
    }
    records = reader.RecordCount();
    blocks = reader.Blocks().BlockCount();
    last = reader.Blocks();
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  const double megabytes = static_cast<double>(*to - *from) / 1e6;
  std::printf(
      "%.1f MB of WAL in %zu segments, %d runs: median %.3f s = %.0f MB/s; %llu records, "
      "%zu distinct blocks\n",
      megabytes, segments.size(), runs, median, megabytes / median,
      static_cast<unsigned long long>(records), blocks);
  if (print_blocks) {
    last.ForEachBlock([](const RelationFork& fork, uint32_t block) {
      std::printf("rel %u/%u/%u fork %s blk %u\n", fork.tablespace, fork.database, fork.relfilenode,
                  ForkName(fork.fork), block);
    });
  }
  return 0;
}
