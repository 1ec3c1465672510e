#include "pitr/pitr_status.h"

#include <nlohmann/json.hpp>

#include "engine/binlog_archiving.h"
#include "pitr/binlog_status.h"

namespace hasteward::pitr {

namespace {

nlohmann::json WindowJson(const BaseWindow& window, const engine::Archiving& archiving) {
  uint32_t timeline = window.base.timeline;
  nlohmann::json j = {{"snapshot", repo::IdToHex(window.base.snapshot.id)},
                      {"time", window.base.snapshot.time.Format()},
                      {"timeline", timeline},
                      {"start", archiving.FormatPosition(window.base.stop)},
                      {"first_segment", archiving.SegmentFileName(timeline, window.first_segment)},
                      {"recoverable", window.reach.starts}};
  if (window.reach.starts) {
    j["end_time"] = window.end_time.Format();
    j["end"] = archiving.FormatPosition(window.end_position);
    j["last_segment"] = archiving.SegmentFileName(timeline, window.reach.last);
  }
  j["gap"] = nullptr;
  if (window.reach.gap) {
    j["gap"] = {{"first", archiving.SegmentFileName(timeline, window.reach.gap->first)},
                {"last", archiving.SegmentFileName(timeline, window.reach.gap->last)}};
  }
  return j;
}

}  // namespace

nlohmann::json PitrStatus::ToJson() const {
  nlohmann::json bases = nlohmann::json::array();
  for (const auto& window : windows) {
    bases.push_back(WindowJson(window, *archiving));
  }
  return {{"cluster", cluster},
          {"wal_files", wal_files},
          {"wal_snapshots", wal_snapshots},
          {"bases", bases}};
}

std::string PitrStatus::ToText() const {
  std::string out = "cluster " + cluster + ": " + std::to_string(wal_files) +
                    " archived WAL files in " + std::to_string(wal_snapshots) + " snapshots\n";
  if (windows.empty()) {
    out += "no native base backups (take one: hasteward backup --method native)\n";
  }
  for (const auto& window : windows) {
    uint32_t timeline = window.base.timeline;
    out += "base " + repo::IdToHex(window.base.snapshot.id).substr(0, 8) + " " +
           window.base.snapshot.time.Format() + " timeline " + std::to_string(timeline) + " from " +
           archiving->FormatPosition(window.base.stop) + ": ";
    if (window.reach.starts) {
      out += "recoverable to " + window.end_time.Format() + " (" +
             archiving->FormatPosition(window.end_position) + ", segment " +
             archiving->SegmentFileName(timeline, window.reach.last) + ")\n";
    } else {
      out += "not recoverable past the base: '" +
             archiving->SegmentFileName(timeline, window.first_segment) + "' is not archived\n";
    }
    if (window.reach.gap) {
      out += "  gap: '" + archiving->SegmentFileName(timeline, window.reach.gap->first) + "' to '" +
             archiving->SegmentFileName(timeline, window.reach.gap->last) +
             "' missing; the archive continues after it\n";
    }
  }
  return out;
}

core::Result<PitrStatus> ReadPitrStatus(repo::Repository& repo, const platform::Cluster& cluster,
                                        engine::Engine& engine) {
  engine::Archiving* archiving = engine.archiving();
  if (archiving == nullptr) {
    return engine::Unsupported(engine, "point-in-time recovery");
  }
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(auto bases, ListBaseBackups(repo, cluster, *archiving));
  HS_ASSIGN_OR_RETURN(WalCatalog catalog, WalCatalog::Load(repo, cluster, *archiving));
  PitrStatus status;
  status.cluster = cluster.ns + "/" + cluster.name;
  status.archiving = archiving;
  status.wal_files = catalog.files();
  status.wal_snapshots = catalog.snapshots();
  for (const auto& base : bases) {
    status.windows.push_back(WindowOf(base, TimesOf(catalog, base.timeline), *archiving));
  }
  return status;
}

core::Result<RenderedPitrStatus> ReadClusterPitrStatus(repo::Repository& repo,
                                                       const platform::Cluster& cluster,
                                                       engine::Engine& engine) {
  // The engine's capability says which archive the cluster has.
  if (engine.binlog_archiving() != nullptr) {
    HS_ASSIGN_OR_RETURN(BinlogPitrStatus status, ReadBinlogPitrStatus(repo, cluster, engine));
    return RenderedPitrStatus{status.ToJson(), status.ToText()};
  }
  HS_ASSIGN_OR_RETURN(PitrStatus status, ReadPitrStatus(repo, cluster, engine));
  return RenderedPitrStatus{status.ToJson(), status.ToText()};
}

}  // namespace hasteward::pitr
