#include "pitr/wal/wal_status.h"

#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

#include "catalog/wal/wal_stream_store.h"
#include "jobs/jobs.h"

namespace hasteward::pitr {

namespace {

nlohmann::json PathJson(const catalog::TimelinePath& path, const engine::Archiving& archiving) {
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& range : path.ranges) {
    ranges.push_back({{"timeline", range.timeline},
                      {"from", archiving.FormatPosition(range.from)},
                      {"to", range.to ? nlohmann::json(archiving.FormatPosition(*range.to))
                                      : nlohmann::json(nullptr)}});
  }
  return ranges;
}

nlohmann::json WindowJson(const BaseWindow& window, const engine::Archiving& archiving) {
  nlohmann::json j = {
      {"snapshot", repo::IdToHex(window.base.snapshot.id)},
      {"time", window.base.snapshot.time.Format()},
      {"timeline", window.base.timeline},
      {"target_timeline", window.path.target()},
      {"timelines", PathJson(window.path, archiving)},
      {"start", archiving.FormatPosition(window.base.stop)},
      {"first_segment", archiving.SegmentFileName(window.first_timeline, window.first_segment)},
      {"recoverable", window.reach.starts}};
  if (window.reach.starts) {
    j["end_time"] = window.end_time.Format();
    j["end"] = archiving.FormatPosition(window.end_position);
    j["last_segment"] = archiving.SegmentFileName(window.last_timeline, window.reach.last);
  }
  j["gap"] = nullptr;
  if (window.reach.gap) {
    j["gap"] = {{"first", archiving.SegmentFileName(window.gap_timeline, window.reach.gap->first)},
                {"last", archiving.SegmentFileName(window.gap_timeline, window.reach.gap->last)}};
  }
  j["unknown_history"] = nullptr;
  if (window.path.unknown_history) {
    j["unknown_history"] = archiving.HistoryFileName(*window.path.unknown_history);
  }
  return j;
}

// " along timelines 1 -> 2 (at 0/6000100)" when replay crosses a switch.
std::string PathText(const catalog::TimelinePath& path, const engine::Archiving& archiving) {
  if (path.ranges.size() < 2) {
    return "";
  }
  std::string out = " along timelines ";
  for (const auto& range : path.ranges) {
    out += (&range == &path.ranges.front() ? "" : " -> ") + std::to_string(range.timeline);
    if (range.to) {
      out += " (to " + archiving.FormatPosition(*range.to) + ")";
    }
  }
  return out;
}

std::string WindowText(const BaseWindow& window, const engine::Archiving& archiving) {
  std::string out = "base " + repo::IdToHex(window.base.snapshot.id).substr(0, 8) + " " +
                    window.base.snapshot.time.Format() + " timeline " +
                    std::to_string(window.base.timeline) + " from " +
                    archiving.FormatPosition(window.base.stop) + PathText(window.path, archiving) +
                    ": ";
  if (window.reach.starts) {
    out += "recoverable to " + window.end_time.Format() + " (" +
           archiving.FormatPosition(window.end_position) + ", segment " +
           archiving.SegmentFileName(window.last_timeline, window.reach.last) + ")\n";
  } else {
    out += "not recoverable past the base: '" +
           archiving.SegmentFileName(window.first_timeline, window.first_segment) +
           "' is not archived\n";
  }
  if (window.reach.gap) {
    out += "  gap: '" + archiving.SegmentFileName(window.gap_timeline, window.reach.gap->first) +
           "' to '" + archiving.SegmentFileName(window.gap_timeline, window.reach.gap->last) +
           "' missing; the archive continues after it\n";
  }
  if (window.path.unknown_history) {
    out += "  timeline " + std::to_string(*window.path.unknown_history) +
           " has archived segments but '" +
           archiving.HistoryFileName(*window.path.unknown_history) +
           "' is not archived: restores from this base are refused\n";
  }
  return out;
}

}  // namespace

nlohmann::json PitrStatus::ToJson() const {
  nlohmann::json bases = nlohmann::json::array();
  for (const auto& window : windows) {
    bases.push_back(WindowJson(window, *archiving));
  }
  nlohmann::json streamed_json = nlohmann::json::array();
  for (const StreamedTail& tail : streamed) {
    streamed_json.push_back({{"timeline", tail.timeline},
                             {"segment", archiving->SegmentFileName(tail.timeline, tail.segment)},
                             {"end", archiving->FormatPosition(tail.end_position)},
                             {"pieces", tail.pieces}});
  }
  return {{"cluster", cluster},
          {"wal_files", wal_files},
          {"wal_snapshots", wal_snapshots},
          {"bases", bases},
          {"streamed", streamed_json}};
}

std::string PitrStatus::ToText() const {
  std::string out = "cluster " + cluster + ": " + std::to_string(wal_files) +
                    " archived WAL files in " + std::to_string(wal_snapshots) + " snapshots\n";
  if (windows.empty()) {
    out += "no native base backups (take one: hasteward backup --method native)\n";
  }
  for (const auto& window : windows) {
    out += WindowText(window, *archiving);
  }
  for (const StreamedTail& tail : streamed) {
    out += "received, not archived whole yet: " +
           archiving->SegmentFileName(tail.timeline, tail.segment) + " up to " +
           archiving->FormatPosition(tail.end_position) + " (" + std::to_string(tail.pieces) +
           " pieces of the WAL receiver; a replay to the end of the archive reaches it)\n";
  }
  return out;
}

core::Result<PitrStatus> ReadPitrStatus(repo::Repository& repo, const platform::Cluster& cluster,
                                        engine::Engine& engine) {
  engine::Archiving* archiving = engine.archiving();
  if (archiving == nullptr) {
    return engine::Unsupported(engine, "point-in-time recovery");
  }
  // The bases, the runs and the count of WAL snapshots come from the index's summary, whose size
  // grows with the gaps, timelines and bases, not with the segments or the snapshots: no snapshot
  // file is read. Only a catalog read from the snapshots (no index can be written) lists them.
  HS_ASSIGN_OR_RETURN(catalog::WalCatalog catalog,
                      catalog::WalCatalog::LoadSummary(repo, cluster, *archiving));
  HS_TRY(catalog.LoadHistories(repo, *archiving));
  std::vector<catalog::BaseBackup> bases;
  size_t wal_snapshots = catalog.snapshots();
  if (catalog.indexed_bases()) {
    for (const catalog::IndexedBase& base : *catalog.indexed_bases()) {
      bases.push_back(catalog::BaseOfIndexed(base));
    }
    // Oldest first, as the snapshots list them (by time, then id for equal times).
    std::sort(
        bases.begin(), bases.end(), [](const catalog::BaseBackup& a, const catalog::BaseBackup& b) {
          return std::tie(a.snapshot.time.unix_seconds, a.snapshot.time.nanos, a.snapshot.id) <
                 std::tie(b.snapshot.time.unix_seconds, b.snapshot.time.nanos, b.snapshot.id);
        });
  } else {
    HS_ASSIGN_OR_RETURN(auto snapshots, jobs::ClusterSnapshots(repo, cluster, std::nullopt));
    wal_snapshots = static_cast<size_t>(
        std::count_if(snapshots.begin(), snapshots.end(), [](const repo::Snapshot& snapshot) {
          return repo::MatchesType(snapshot, repo::SnapshotType::kWal);
        }));
    bases = catalog::BaseBackupsOf(std::move(snapshots));
  }
  PitrStatus status;
  status.cluster = cluster.ns + "/" + cluster.name;
  status.archiving = archiving;
  status.wal_files = catalog.files();
  status.wal_snapshots = wal_snapshots;
  for (const auto& base : bases) {
    status.windows.push_back(WindowOf(base, catalog, *archiving));
  }
  // The receiver's durable end beyond the whole segments: its pieces, by their names.
  HS_ASSIGN_OR_RETURN(catalog::WalStreamStore store, catalog::WalStreamStore::Open(repo, cluster));
  for (const auto& [timeline, segment] : store.Segments()) {
    const std::vector<catalog::WalPiece> pieces = store.Pieces(timeline, segment);
    const uint32_t end = catalog::ContiguousEnd(pieces);
    if (end > 0) {
      status.streamed.push_back(
          {timeline, segment, segment * archiving->SegmentBytes() + end, pieces.size()});
    }
  }
  return status;
}

}  // namespace hasteward::pitr
