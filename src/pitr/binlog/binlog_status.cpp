#include "pitr/binlog/binlog_status.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "catalog/base_backup_record.h"
#include "catalog/binlog/binlog_chain.h"
#include "catalog/binlog/binlog_stream_store.h"
#include "engine/binlog_archiving.h"
#include "jobs/jobs.h"
#include "jobs/native_backup.h"

namespace hasteward::pitr {

namespace {

constexpr uint64_t kNanosPerSecond = 1000000000;

std::string FormatUnix(uint64_t unix_seconds) {
  return repo::LocalTimeFromUnix(static_cast<int64_t>(unix_seconds), 0).Format();
}

std::string Position(const std::string& state) {
  return state.empty() ? "(empty)" : state;
}

// A hole in an archived file, with the piece right after it.
struct LocatedHole {
  BinlogHole hole;
  const catalog::BinlogPiece* next = nullptr;
  std::string state_before;  // the GTID state where the missing bytes start
};

std::vector<LocatedHole> Holes(const catalog::BinlogCatalog& catalog) {
  std::vector<LocatedHole> holes;
  for (const auto& [key, file] : catalog.files()) {
    uint64_t expected = 0;
    std::string state = file.pieces.front().gtid_list_at_file_start;
    for (const auto& piece : file.pieces) {
      if (piece.start > expected) {
        holes.push_back({{file.identity, expected, piece.start}, &piece, state});
      }
      expected = std::max(expected, piece.end);
      state = piece.gtid_state_after;
    }
  }
  return holes;
}

// Whether `piece` holds a transaction beyond `state` that a restore would replay: not when its
// state after is included, nor when a rewind recorded after it went back to a state included in
// `state` (what it holds beyond that rewind is the abandoned future).
bool BeyondWindow(const catalog::BinlogPiece& piece, const catalog::BinlogCatalog& catalog,
                  const engine::BinlogArchiving& binlogs, const std::string& state) {
  if (piece.transactions == 0 || binlogs.StateIncludes(state, piece.gtid_state_after)) {
    return false;
  }
  return std::none_of(
      catalog.rewinds().begin(), catalog.rewinds().end(), [&](const catalog::BinlogRewind& rewind) {
        return piece.archived_at_ns < rewind.at_ns && binlogs.StateIncludes(state, rewind.state);
      });
}

struct Resume {
  std::string gtid;
  std::string file;
  uint64_t archived_at_ns = 0;
};

uint64_t ArchivedAt(const catalog::BinlogCatalog& catalog,
                    const catalog::BinlogFileIdentity& identity, uint64_t offset) {
  const catalog::ArchivedBinlogFile* file = catalog.Find(identity);
  if (file == nullptr) {
    return 0;
  }
  for (const auto& piece : file->pieces) {
    if (piece.start <= offset && offset < piece.end) {
      return piece.archived_at_ns;
    }
  }
  return 0;
}

// The first archived transaction (in the order it was archived) that `state` does not include:
// in the files as a restore reads them, and in pieces stored after a hole (which it cannot read).
std::optional<Resume> FirstBeyond(const std::vector<catalog::LoadedBinlogFile>& files,
                                  const std::vector<LocatedHole>& holes,
                                  const catalog::BinlogCatalog& catalog,
                                  const engine::BinlogArchiving& binlogs,
                                  const std::string& state) {
  std::optional<Resume> first;
  auto consider = [&first](Resume candidate) {
    if (!first || candidate.archived_at_ns < first->archived_at_ns) {
      first = std::move(candidate);
    }
  };
  for (const catalog::LoadedBinlogFile& file : files) {
    for (const auto& span : file.spans) {
      if (!binlogs.StateIncludes(state, span.gtid)) {
        consider({span.gtid, file.identity.Key(), ArchivedAt(catalog, file.identity, span.start)});
        break;  // the file's later transactions were archived no earlier
      }
    }
  }
  for (const LocatedHole& hole : holes) {
    const catalog::ArchivedBinlogFile* file = catalog.Find(hole.hole.identity);
    for (const auto& piece : file->pieces) {
      if (piece.start >= hole.hole.end && BeyondWindow(piece, catalog, binlogs, state)) {
        consider({piece.first_gtid, file->identity.Key(), piece.archived_at_ns});
        break;
      }
    }
  }
  return first;
}

// The hole that explains a window ending at `state`: one with pieces beyond `state` after it,
// preferably one that starts where the window ends.
std::optional<BinlogHole> MissingPiece(const std::vector<LocatedHole>& holes,
                                       const catalog::BinlogCatalog& catalog,
                                       const engine::BinlogArchiving& binlogs,
                                       const std::string& state) {
  const LocatedHole* chosen = nullptr;
  for (const LocatedHole& hole : holes) {
    const catalog::ArchivedBinlogFile* file = catalog.Find(hole.hole.identity);
    if (std::none_of(
            file->pieces.begin(), file->pieces.end(), [&](const catalog::BinlogPiece& piece) {
              return piece.start >= hole.hole.end && BeyondWindow(piece, catalog, binlogs, state);
            })) {
      continue;  // nothing after it that the window lacks
    }
    bool starts_at_window = binlogs.StateIncludes(state, hole.state_before);
    bool chosen_starts_at_window =
        chosen != nullptr && binlogs.StateIncludes(state, chosen->state_before);
    if (chosen == nullptr || (starts_at_window && !chosen_starts_at_window) ||
        (starts_at_window == chosen_starts_at_window &&
         hole.next->archived_at_ns < chosen->next->archived_at_ns)) {
      chosen = &hole;
    }
  }
  return chosen == nullptr ? std::nullopt : std::optional<BinlogHole>(chosen->hole);
}

nlohmann::json WindowJson(const BinlogWindow& window) {
  nlohmann::json json = {{"snapshot", repo::IdToHex(window.base.id)},
                         {"time", window.base.time.Format()},
                         {"start", window.start},
                         {"abandoned", window.abandoned},
                         {"recoverable", window.Recoverable()},
                         {"transactions", window.transactions},
                         {"end", window.end},
                         {"last_gtid", window.last_gtid},
                         {"end_time", nullptr},
                         {"gap", nullptr}};
  if (window.last_time > 0) {
    json["end_time"] = FormatUnix(window.last_time);
  }
  if (window.gap) {
    const BinlogGap& gap = *window.gap;
    json["gap"] = {{"after", gap.after},
                   {"resumes_at", gap.resumes_at},
                   {"resumes_in", gap.resumes_in},
                   {"missing", nullptr}};
    if (gap.missing) {
      json["gap"]["missing"] = {{"file", gap.missing->identity.Key()},
                                {"start", gap.missing->start},
                                {"end", gap.missing->end}};
    }
  }
  return json;
}

std::string GapText(const BinlogGap& gap) {
  std::string text = "  gap: after GTID " + Position(gap.after) + ", ";
  if (gap.missing) {
    text += "bytes " + std::to_string(gap.missing->start) + "-" + std::to_string(gap.missing->end) +
            " of '" + gap.missing->identity.Key() + "' are missing";
  } else {
    text += "the transactions before GTID " + gap.resumes_at + " are not archived";
  }
  return text + "; the archive resumes at GTID " + gap.resumes_at + " in '" + gap.resumes_in +
         "'\n";
}

std::string WindowText(const BinlogWindow& window, uint64_t archived_at_ns) {
  std::string text = "base " + repo::IdToHex(window.base.id).substr(0, 8) + " " +
                     window.base.time.Format() + " from GTID " + Position(window.start) + ": ";
  if (window.abandoned) {
    return text + "abandoned (taken in a future a point-in-time restore went back from)\n";
  }
  if (!window.Recoverable()) {
    text += "not recoverable past the base: the transaction after it is not archived\n";
  } else if (window.transactions == 0) {
    text += "no transaction archived after it";
  } else {
    text += "recoverable to GTID " + window.end + " (" + std::to_string(window.transactions) +
            " transactions, the newest " + window.last_gtid + " at " +
            FormatUnix(window.last_time) + ")";
  }
  if (window.Recoverable()) {
    text += window.gap ? "\n"
                       : "; the archive is complete to " +
                             FormatUnix(archived_at_ns / kNanosPerSecond) + "\n";
  }
  return window.gap ? text + GapText(*window.gap) : text;
}

}  // namespace

nlohmann::json BinlogPitrStatus::ToJson() const {
  nlohmann::json bases = nlohmann::json::array();
  for (const auto& window : windows) {
    bases.push_back(WindowJson(window));
  }
  nlohmann::json json = {{"cluster", cluster},
                         {"binlog_files", binlog_files},
                         {"binlog_pieces", binlog_pieces},
                         {"binlog_snapshots", binlog_snapshots},
                         {"rewinds", rewinds},
                         {"archived_at", nullptr},
                         {"streamed", {{"pieces", streamed_pieces}, {"state", streamed_state}}},
                         {"bases", bases}};
  if (archived_at_ns > 0) {
    json["archived_at"] = FormatUnix(archived_at_ns / kNanosPerSecond);
  }
  return json;
}

std::string BinlogPitrStatus::ToText() const {
  std::string out = "cluster " + cluster + ": " + std::to_string(binlog_files) +
                    " archived binlog files (" + std::to_string(binlog_pieces) + " pieces) in " +
                    std::to_string(binlog_snapshots) + " snapshots, " + std::to_string(rewinds) +
                    " rewinds";
  out += archived_at_ns > 0 ? "; last archived " + FormatUnix(archived_at_ns / kNanosPerSecond)
                            : "; nothing archived (run: hasteward archive binlog)";
  if (streamed_pieces > 0) {
    out += "; streamed (receiver, not yet in a snapshot): " + std::to_string(streamed_pieces) +
           " pieces to GTID " + streamed_state;
  }
  out += "\n";
  if (windows.empty()) {
    out += "no native base backups (take one: hasteward backup --method native)\n";
  }
  for (const auto& window : windows) {
    out += WindowText(window, archived_at_ns);
  }
  return out;
}

core::Result<BinlogPitrStatus> ReadBinlogPitrStatus(repo::Repository& repo,
                                                    const platform::Cluster& cluster,
                                                    const engine::BinlogArchiving& binlogs) {
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(catalog::BinlogCatalog catalog,
                      catalog::LoadBinlogCatalogWithStream(repo, cluster));
  HS_ASSIGN_OR_RETURN(std::vector<catalog::LoadedBinlogFile> files,
                      catalog::LoadBinlogFiles(repo, catalog, binlogs));
  HS_ASSIGN_OR_RETURN(auto snapshots,
                      jobs::ClusterSnapshots(repo, cluster, repo::SnapshotType::kBackup));
  BinlogPitrStatus status;
  status.cluster = cluster.ns + "/" + cluster.name;
  status.binlog_files = catalog.files().size();
  uint64_t newest_streamed_ns = 0;
  for (const auto& [key, file] : catalog.files()) {
    status.binlog_pieces += file.pieces.size();
    for (const auto& piece : file.pieces) {
      if (catalog.StreamedBytesOf(piece) == nullptr) {
        continue;
      }
      ++status.streamed_pieces;
      if (piece.archived_at_ns >= newest_streamed_ns) {
        newest_streamed_ns = piece.archived_at_ns;
        status.streamed_state = piece.gtid_state_after;
      }
    }
  }
  status.binlog_snapshots = catalog.snapshots();
  status.rewinds = catalog.rewinds().size();
  status.archived_at_ns = catalog.last_archived_at_ns();
  const std::vector<LocatedHole> holes = Holes(catalog);
  for (const auto& snapshot : snapshots) {
    if (!catalog::IsNativeBackup(snapshot)) {
      continue;
    }
    BinlogWindow window;
    window.base = snapshot;
    window.start = catalog::GtidTagValue(snapshot.tags, "gtid_position").value_or("");
    window.abandoned = catalog::BaseAbandoned(catalog, binlogs, snapshot, window.start);
    catalog::BinlogChainWalk walk =
        catalog::WalkBinlogChain(files, binlogs, window.start, catalog::BinlogTarget{});
    window.transactions = walk.transactions;
    window.end = walk.state;
    window.last_gtid = walk.last_gtid;
    window.last_time = walk.last_time;
    if (std::optional<Resume> resume = FirstBeyond(files, holes, catalog, binlogs, walk.state)) {
      window.gap = BinlogGap{walk.state, resume->gtid, resume->file,
                             MissingPiece(holes, catalog, binlogs, walk.state)};
    }
    status.windows.push_back(std::move(window));
  }
  return status;
}

}  // namespace hasteward::pitr
