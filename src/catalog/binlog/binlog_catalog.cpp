#include "catalog/binlog/binlog_catalog.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "catalog/binlog/binlog_index_format.h"
#include "catalog/cluster_snapshots.h"
#include "catalog/snapshot_directory.h"
#include "repo/restore/file_dumper.h"

namespace hasteward::catalog {

namespace {

constexpr int kManifestVersion = 1;

std::string Offset16(uint64_t offset) {
  char text[24];
  std::snprintf(text, sizeof(text), "%016llu", static_cast<unsigned long long>(offset));
  return text;
}

// A rewind's restored base. Malformed is corruption, never "no base": read as none, the base
// would stay abandoned and the restore's history offer no base (safe, but not what was recorded).
core::Result<BinlogRestoredBase> RestoredBaseFromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("snapshot") || !json["snapshot"].is_string() ||
      !json.contains("time") || !json["time"].is_number_integer() ||
      !json.contains("gtid_position") || !json["gtid_position"].is_string()) {
    return core::Status(core::ErrorCode::kCorruption,
                        "the restored base of a binlog rewind record is malformed",
                        "run 'hasteward repo check'; the archive's continuity is unknown");
  }
  return BinlogRestoredBase{json["snapshot"].get<std::string>(), json["time"].get<int64_t>(),
                            json["gtid_position"].get<std::string>()};
}

bool IsBinlogSnapshot(const repo::Snapshot& snapshot) {
  for (const auto& tag : snapshot.tags) {
    if (tag == kBinlogArchiveTag) {
      return true;
    }
  }
  return false;
}

struct Manifest {
  std::vector<BinlogPiece> pieces;
  std::vector<BinlogRewind> rewinds;
};

core::Result<Manifest> ReadManifest(repo::Repository& repo, const repo::Snapshot& snapshot,
                                    const std::vector<repo::Node>& nodes) {
  const std::string id = repo::IdToHex(snapshot.id).substr(0, 8);
  for (const auto& node : nodes) {
    if (node.name != kBinlogManifestName || node.type != "file") {
      continue;
    }
    core::MemorySink sink;
    auto dumped = repo::DumpFile(repo, node, sink, {});
    if (!dumped.ok()) {
      return dumped.TakeStatus().Wrap("read the manifest of binlog snapshot " + id);
    }
    nlohmann::json json = nlohmann::json::parse(sink.data().begin(), sink.data().end(), nullptr,
                                                /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object() || !json.contains("pieces") ||
        !json["pieces"].is_array()) {
      return core::Status(core::ErrorCode::kCorruption,
                          "the manifest of binlog snapshot " + id + " is not valid JSON",
                          "run 'hasteward repo check'; the archive's continuity is unknown");
    }
    Manifest manifest;
    for (const auto& item : json["pieces"]) {
      HS_ASSIGN_OR_RETURN(BinlogPiece piece, PieceFromJson(item));
      manifest.pieces.push_back(std::move(piece));
    }
    for (const auto& item : json.value("rewinds", nlohmann::json::array())) {
      auto rewind = RewindFromJson(item);
      if (!rewind.ok()) {
        return core::Status(core::ErrorCode::kCorruption,
                            "a rewind in the manifest of binlog snapshot " + id + " is malformed",
                            "run 'hasteward repo check'; the archive's continuity is unknown");
      }
      manifest.rewinds.push_back(std::move(*rewind));
    }
    return manifest;
  }
  return core::Status(core::ErrorCode::kCorruption, "binlog snapshot " + id + " has no manifest",
                      "run 'hasteward repo check'; the archive's continuity is unknown");
}

}  // namespace

std::string BinlogPath(const platform::Cluster& cluster) {
  return cluster.ns + "/" + cluster.name + "/binlog";
}

std::string BinlogFileIdentity::Key() const {
  return instance + "." + std::to_string(server_id) + "." + std::to_string(created) + "." + file;
}

std::string BinlogPiece::PieceName() const {
  return identity.Key() + "." + Offset16(start) + "-" + Offset16(end);
}

nlohmann::json PieceToJson(const BinlogPiece& piece) {
  return {{"instance", piece.identity.instance},
          {"server_id", piece.identity.server_id},
          {"created", piece.identity.created},
          {"file", piece.identity.file},
          {"start", piece.start},
          {"end", piece.end},
          {"transactions", piece.transactions},
          {"first_gtid", piece.first_gtid},
          {"last_gtid", piece.last_gtid},
          {"first_time", piece.first_time},
          {"last_time", piece.last_time},
          {"gtid_list_at_file_start", piece.gtid_list_at_file_start},
          {"gtid_state_after", piece.gtid_state_after},
          {"sealed", piece.sealed},
          {"archived_at_ns", piece.archived_at_ns}};
}

nlohmann::json RewindToJson(const BinlogRewind& rewind) {
  nlohmann::json json = {{"at_ns", rewind.at_ns}, {"state", rewind.state}};
  if (rewind.reached_at_unix) {
    json["reached_at"] = *rewind.reached_at_unix;
  }
  if (rewind.base) {
    json["base"] = {{"snapshot", rewind.base->snapshot},
                    {"time", rewind.base->taken_unix},
                    {"gtid_position", rewind.base->gtid_position}};
  }
  return json;
}

core::Result<BinlogRewind> RewindFromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("at_ns") || !json["at_ns"].is_number_unsigned() ||
      !json.contains("state") || !json["state"].is_string()) {
    return core::Status(core::ErrorCode::kCorruption, "a binlog rewind record is malformed",
                        "run 'hasteward repo check'; the archive's continuity is unknown");
  }
  BinlogRewind rewind{json["at_ns"].get<uint64_t>(), json["state"].get<std::string>(), std::nullopt,
                      std::nullopt};
  if (json.contains("reached_at") && json["reached_at"].is_number_integer()) {
    rewind.reached_at_unix = json["reached_at"].get<int64_t>();
  }
  if (json.contains("base")) {
    HS_ASSIGN_OR_RETURN(rewind.base, RestoredBaseFromJson(json["base"]));
  }
  return rewind;
}

core::Result<BinlogPiece> PieceFromJson(const nlohmann::json& json) {
  BinlogPiece piece;
  try {
    piece.identity.instance = json.at("instance").get<std::string>();
    piece.identity.server_id = json.at("server_id").get<uint32_t>();
    piece.identity.created = json.at("created").get<uint32_t>();
    piece.identity.file = json.at("file").get<std::string>();
    piece.start = json.at("start").get<uint64_t>();
    piece.end = json.at("end").get<uint64_t>();
    piece.transactions = json.at("transactions").get<size_t>();
    piece.first_gtid = json.at("first_gtid").get<std::string>();
    piece.last_gtid = json.at("last_gtid").get<std::string>();
    piece.first_time = json.at("first_time").get<uint32_t>();
    piece.last_time = json.at("last_time").get<uint32_t>();
    piece.gtid_list_at_file_start = json.at("gtid_list_at_file_start").get<std::string>();
    piece.gtid_state_after = json.at("gtid_state_after").get<std::string>();
    piece.sealed = json.at("sealed").get<bool>();
    piece.archived_at_ns = json.at("archived_at_ns").get<uint64_t>();
  } catch (const nlohmann::json::exception& error) {
    return core::Status(core::ErrorCode::kCorruption,
                        std::string("a binlog manifest entry is malformed: ") + error.what(),
                        "run 'hasteward repo check'; the archive's continuity is unknown");
  }
  if (piece.end < piece.start) {
    return core::Status(core::ErrorCode::kCorruption,
                        "binlog piece " + piece.PieceName() + " ends before it starts");
  }
  return piece;
}

core::Result<BinlogIndexRecords> ScanBinlogSnapshots(repo::Repository& repo,
                                                     const platform::Cluster& cluster,
                                                     std::set<std::string>* seen) {
  HS_ASSIGN_OR_RETURN(auto snapshots, ClusterSnapshots(repo, cluster, repo::SnapshotType::kWal));
  BinlogIndexRecords records;
  for (const auto& snapshot : snapshots) {
    if (!IsBinlogSnapshot(snapshot) || !seen->insert(repo::IdToHex(snapshot.id)).second) {
      continue;
    }
    HS_ASSIGN_OR_RETURN(auto nodes, catalog::LoadDirectory(repo, snapshot, BinlogPath(cluster)));
    HS_ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(repo, snapshot, nodes));
    for (auto& piece : manifest.pieces) {
      auto node = std::find_if(nodes.begin(), nodes.end(), [&piece](const repo::Node& candidate) {
        return candidate.name == piece.PieceName() && candidate.type == "file" &&
               candidate.size == piece.end - piece.start;
      });
      if (node == nodes.end()) {
        return core::Status(core::ErrorCode::kCorruption,
                            "binlog snapshot " + repo::IdToHex(snapshot.id).substr(0, 8) +
                                " lists piece " + piece.PieceName() + " but does not hold it",
                            "run 'hasteward repo check'");
      }
      records.pieces.push_back(
          BinlogIndexPiece{std::move(piece), snapshot.id, node->size, node->content});
    }
    for (auto& rewind : manifest.rewinds) {
      records.rewinds.push_back(BinlogIndexRewind{std::move(rewind), snapshot.id});
    }
  }
  return records;
}

core::Result<BinlogCatalog> BinlogCatalog::LoadFromSnapshots(repo::Repository& repo,
                                                             const platform::Cluster& cluster) {
  BinlogCatalog catalog;
  HS_ASSIGN_OR_RETURN(BinlogIndexRecords records,
                      ScanBinlogSnapshots(repo, cluster, &catalog.seen_snapshots_));
  catalog.AddRecords(records);
  return catalog;
}

void BinlogCatalog::AddRecords(const BinlogIndexRecords& records) {
  // Oldest first: of a piece stored twice (a retried cycle), the first copy stays, as in a scan
  // of the snapshots in time order (its stamp orders it against rewinds).
  std::vector<const BinlogIndexPiece*> pieces;
  for (const BinlogIndexPiece& record : records.pieces) {
    pieces.push_back(&record);
  }
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const BinlogIndexPiece* left, const BinlogIndexPiece* right) {
                     return left->piece.archived_at_ns < right->piece.archived_at_ns;
                   });
  std::vector<BinlogPiece> batch;
  batch.reserve(pieces.size());
  for (const BinlogIndexPiece* record : pieces) {
    seen_snapshots_.insert(repo::IdToHex(record->snapshot));
    nodes_.emplace(record->piece.PieceName(), record->Node());
    batch.push_back(record->piece);
  }
  Add(batch);
  for (const BinlogIndexRewind& record : records.rewinds) {
    if (seen_rewinds_.insert({repo::IdToHex(record.snapshot), record.rewind.at_ns}).second) {
      seen_snapshots_.insert(repo::IdToHex(record.snapshot));
      AddRewind(record.rewind);
    }
  }
}

void BinlogCatalog::Add(const std::vector<BinlogPiece>& pieces) {
  // Each touched file is sorted once after the batch, not once per piece: a load adds every
  // archived piece (100,000s) through here. Until then a file's pieces are its sorted ones (the
  // first `sorted` of them) followed by this batch's.
  std::map<ArchivedBinlogFile*, size_t> sorted;
  std::set<std::pair<std::string, std::pair<uint64_t, uint64_t>>> batch;
  for (const auto& piece : pieces) {
    const std::string key = piece.identity.Key();
    ArchivedBinlogFile& file = files_[key];
    file.identity = piece.identity;
    const size_t held = sorted.emplace(&file, file.pieces.size()).first->second;
    const auto sorted_end = file.pieces.begin() + static_cast<std::ptrdiff_t>(held);
    auto same_start = std::lower_bound(
        file.pieces.begin(), sorted_end, piece.start,
        [](const BinlogPiece& existing, uint64_t start) { return existing.start < start; });
    bool known = false;
    for (; same_start != sorted_end && same_start->start == piece.start; ++same_start) {
      known = known || same_start->end == piece.end;
    }
    if (known || !batch.insert({key, {piece.start, piece.end}}).second) {
      continue;  // a retried cycle stored it twice
    }
    file.pieces.push_back(piece);
    if (piece.archived_at_ns >= last_archived_at_ns_) {
      last_archived_at_ns_ = piece.archived_at_ns;
      last_instance_ = piece.identity.instance;
    }
  }
  for (const auto& [file, held] : sorted) {
    std::stable_sort(
        file->pieces.begin(), file->pieces.end(),
        [](const BinlogPiece& left, const BinlogPiece& right) { return left.start < right.start; });
  }
}

const ArchivedBinlogFile* BinlogCatalog::Find(const BinlogFileIdentity& identity) const {
  auto it = files_.find(identity.Key());
  return it == files_.end() ? nullptr : &it->second;
}

uint64_t BinlogCatalog::NextStampNs(uint64_t now_ns) const {
  uint64_t newest = last_archived_at_ns_;
  for (const auto& rewind : rewinds_) {
    newest = std::max(newest, rewind.at_ns);
  }
  return std::max(now_ns, newest + 1);
}

const repo::Node* BinlogCatalog::NodeOf(const BinlogPiece& piece) const {
  auto it = nodes_.find(piece.PieceName());
  return it == nodes_.end() ? nullptr : &it->second;
}

void BinlogCatalog::AddStreamed(const BinlogPiece& piece, std::string bytes) {
  Add({piece});
  streamed_[piece.PieceName()] = std::move(bytes);
}

const std::string* BinlogCatalog::StreamedBytesOf(const BinlogPiece& piece) const {
  auto it = streamed_.find(piece.PieceName());
  return it == streamed_.end() ? nullptr : &it->second;
}

std::vector<std::string> BinlogCatalog::States() const {
  std::vector<std::string> states;
  for (const auto& [key, file] : files_) {
    for (const auto& piece : file.pieces) {
      states.push_back(piece.gtid_state_after);
    }
  }
  return states;
}

}  // namespace hasteward::catalog
