#include "catalog/binlog/binlog_chain.h"

#include <algorithm>
#include <limits>

#include "repo/restore/file_dumper.h"

namespace hasteward::catalog {

namespace {

constexpr uint64_t kNanosPerSecond = 1000000000;

bool TakenBefore(int64_t unix_seconds, const BinlogRewind& rewind) {
  return static_cast<uint64_t>(unix_seconds) * kNanosPerSecond < rewind.at_ns;
}

// When the history `base` was taken in ended: the first rewind after it that went back to a state
// not including its position (the largest stamp when none did).
uint64_t HistoryEndNs(const BinlogCatalog& catalog, const engine::BinlogArchiving& binlogs,
                      const BinlogRestoredBase& base) {
  uint64_t end = std::numeric_limits<uint64_t>::max();
  for (const BinlogRewind& rewind : catalog.rewinds()) {
    if (TakenBefore(base.taken_unix, rewind) &&
        !binlogs.StateIncludes(rewind.state, base.gtid_position)) {
      end = std::min(end, rewind.at_ns);
    }
  }
  return end;
}

// Whether a rewind recorded after `abandoning` restored a base that `abandoning` had abandoned
// (taken before it) and whose history holds the transaction: in the base's position, and archived
// before that history ended. Why not "any later rewind's state includes it": repositories written
// before every restore started a new GTID domain reuse GTIDs across histories, so a position alone
// would revive another history's transaction of the same GTID (one archived before an earlier
// rewind, or after the base's history ended).
bool Revived(const BinlogCatalog& catalog, const engine::BinlogArchiving& binlogs,
             const BinlogRewind& abandoning, uint64_t archived_at_ns, const std::string& gtid) {
  return std::any_of(catalog.rewinds().begin(), catalog.rewinds().end(),
                     [&](const BinlogRewind& later) {
                       return later.base && later.at_ns > abandoning.at_ns &&
                              TakenBefore(later.base->taken_unix, abandoning) &&
                              binlogs.StateIncludes(later.base->gtid_position, gtid) &&
                              archived_at_ns < HistoryEndNs(catalog, binlogs, *later.base);
                     });
}

// Whether `span` belongs to a future a restore abandoned (SpanAbandoned), by the piece holding it.
bool Abandoned(const BinlogCatalog& catalog, const engine::BinlogArchiving& binlogs,
               const std::vector<BinlogPiece>& pieces, const engine::BinlogTransactionSpan& span) {
  uint64_t archived_at_ns = 0;
  for (const auto& piece : pieces) {
    if (piece.start <= span.start && span.start < piece.end) {
      archived_at_ns = piece.archived_at_ns;
    }
  }
  return SpanAbandoned(catalog, binlogs, archived_at_ns, span.gtid);
}

}  // namespace

core::Result<std::vector<LoadedBinlogFile>> LoadBinlogFiles(
    repo::Repository& repo, const BinlogCatalog& catalog, const engine::BinlogArchiving& binlogs) {
  std::vector<LoadedBinlogFile> files;
  for (const auto& [key, archived] : catalog.files()) {
    LoadedBinlogFile file;
    file.identity = archived.identity;
    file.first_archived_at_ns = archived.pieces.front().archived_at_ns;
    for (const auto& piece : archived.pieces) {
      if (piece.start != file.bytes.size()) {
        break;
      }
      // The receiver's tail no snapshot holds yet (binlog_stream_store.h).
      if (const std::string* streamed = catalog.StreamedBytesOf(piece)) {
        file.bytes.append(*streamed);
        continue;
      }
      const repo::Node* node = catalog.NodeOf(piece);
      if (node == nullptr) {
        break;
      }
      core::MemorySink sink;
      auto dumped = repo::DumpFile(repo, *node, sink, {});
      if (!dumped.ok()) {
        return dumped.TakeStatus().Wrap("read binlog piece " + piece.PieceName());
      }
      file.bytes.append(sink.data().begin(), sink.data().end());
    }
    auto header = binlogs.ReadHeader(file.bytes);
    if (!header.ok()) {
      return header.TakeStatus().Wrap("read archived binlog " + key);
    }
    if (!header->has_value()) {
      continue;  // not even its header is archived
    }
    file.header = **header;
    auto run = binlogs.ScanRun(std::string_view(file.bytes).substr(file.header.header_end),
                               file.header.header_end, file.header);
    if (!run.ok()) {
      return run.TakeStatus().Wrap("read archived binlog " + key);
    }
    for (auto& span : run->spans) {
      if (!Abandoned(catalog, binlogs, archived.pieces, span)) {
        file.spans.push_back(std::move(span));
      }
    }
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(),
            [](const LoadedBinlogFile& left, const LoadedBinlogFile& right) {
              return left.first_archived_at_ns < right.first_archived_at_ns;
            });
  return files;
}

BinlogChainWalk WalkBinlogChain(const std::vector<LoadedBinlogFile>& files,
                                const engine::BinlogArchiving& binlogs, const std::string& from,
                                const BinlogTarget& target) {
  BinlogChainWalk walk;
  walk.state = from;
  const bool to_gtid = target.kind == BinlogTargetKind::kGtid;
  if (to_gtid && binlogs.StateIncludes(walk.state, target.gtid)) {
    walk.reached = true;
    return walk;
  }
  bool progressed = true;
  while (progressed && !walk.reached) {
    progressed = false;
    for (const LoadedBinlogFile& file : files) {
      size_t next = 0;
      while (next < file.spans.size() && binlogs.StateIncludes(walk.state, file.spans[next].gtid)) {
        ++next;
      }
      if (next == file.spans.size() || !binlogs.Follows(walk.state, file.spans[next].gtid)) {
        continue;
      }
      BinlogFileReplay replay{file.identity, {}};
      for (size_t index = next; index < file.spans.size() && !walk.reached; ++index) {
        const engine::BinlogTransactionSpan& span = file.spans[index];
        if (binlogs.StateIncludes(walk.state, span.gtid)) {
          continue;
        }
        if (!binlogs.Follows(walk.state, span.gtid)) {
          break;  // this file skips a transaction here; another file may hold it
        }
        // A GTID target bounds every domain: a transaction past the target in its domain is never
        // applied, whatever the archive's order. After a plain restore the archive still holds
        // the abandoned history's transactions in the restored domain (archived first, so walked
        // first), and `--until-gtid 0-1-12,1-1-4` replayed 0-1-13.. before reaching 1-1-4
        // (mariadb_history_property_test, seed 49: exit 0 with the 31 rows the restore replaced).
        if (to_gtid && !binlogs.StateIncludes(target.gtid, span.gtid)) {
          continue;
        }
        if (target.kind == BinlogTargetKind::kTime &&
            static_cast<int64_t>(span.time) > target.time_unix) {
          walk.reached = true;  // the first transaction after the target: all before it is here
          break;
        }
        replay.spans.push_back(index);
        walk.state = binlogs.AdvanceGtidState(walk.state, {span.gtid});
        walk.last_gtid = span.gtid;
        walk.last_time = span.time;
        ++walk.transactions;
        walk.reached = to_gtid && binlogs.StateIncludes(walk.state, target.gtid);
      }
      if (!replay.spans.empty()) {
        walk.files.push_back(std::move(replay));
        progressed = true;
        break;  // look again from the first file: another may continue where this one stopped
      }
    }
  }
  return walk;
}

bool TookEveryTransaction(const std::vector<LoadedBinlogFile>& files,
                          const engine::BinlogArchiving& binlogs, const std::string& state) {
  return std::all_of(files.begin(), files.end(), [&](const LoadedBinlogFile& file) {
    return std::all_of(file.spans.begin(), file.spans.end(),
                       [&](const auto& span) { return binlogs.StateIncludes(state, span.gtid); });
  });
}

bool SpanAbandoned(const BinlogCatalog& catalog, const engine::BinlogArchiving& binlogs,
                   uint64_t archived_at_ns, const std::string& gtid) {
  return std::any_of(
      catalog.rewinds().begin(), catalog.rewinds().end(), [&](const BinlogRewind& rewind) {
        return archived_at_ns < rewind.at_ns && !binlogs.StateIncludes(rewind.state, gtid) &&
               !Revived(catalog, binlogs, rewind, archived_at_ns, gtid);
      });
}

bool BaseAbandoned(const BinlogCatalog& catalog, const engine::BinlogArchiving& binlogs,
                   const repo::Snapshot& snapshot, const std::string& base_state) {
  const std::string id = repo::IdToHex(snapshot.id);
  auto restored_after = [&](const BinlogRewind& abandoning) {
    return std::any_of(
        catalog.rewinds().begin(), catalog.rewinds().end(), [&](const BinlogRewind& later) {
          return later.base && later.base->snapshot == id && later.at_ns > abandoning.at_ns;
        });
  };
  return std::any_of(
      catalog.rewinds().begin(), catalog.rewinds().end(), [&](const BinlogRewind& rewind) {
        return TakenBefore(snapshot.time.unix_seconds, rewind) &&
               !binlogs.StateIncludes(rewind.state, base_state) && !restored_after(rewind);
      });
}

}  // namespace hasteward::catalog
