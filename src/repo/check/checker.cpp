#include "repo/check/checker.h"

#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace hasteward::repo {

namespace {

struct Checker {
  Repository& repo;
  CheckOptions opts;
  CheckReport report;
  std::mutex mu;
  bool on_disk = false;  // blob lookups go to the on-disk index; packs are streamed
  std::unordered_set<Id, IdHash> seen_packs;

  void Error(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    report.errors.push_back(e);
  }
  void Hint(const std::string& h) {
    std::lock_guard<std::mutex> lock(mu);
    report.hints.push_back(h);
  }
  // Every indexed pack once with the blobs of its first listing, as MasterIndex::ForEachPack. On
  // disk: the index files are read again one at a time, so memory is one file and the set of
  // pack IDs (32 bytes a pack, not 80 a blob); a file that fails to load is reported.
  void ForEachPack(const std::function<void(const Id&, const std::vector<PackedBlob>&)>& fn) {
    if (!on_disk) {
      repo.index().ForEachPack(fn);
      return;
    }
    for (const Id& file : repo.index_files()) {
      auto json = repo.LoadUnpacked(storage::FileType::kIndex, file);
      auto parsed = json.ok() ? ParseIndexJson(*json) : core::Result<IndexFile>(json.status());
      if (!parsed.ok()) {
        Error("index '" + IdToHex(file) + "': " + parsed.status().message());
        continue;
      }
      for (const auto& [pack, blobs] : parsed->packs) {
        if (seen_packs.insert(pack).second) {
          fn(pack, blobs);
        }
      }
    }
  }
  bool HasPack(const Id& pack) const {
    return on_disk ? seen_packs.count(pack) != 0 : repo.index().HasPack(pack);
  }

  int Threads() const {
    return opts.threads > 0 ? opts.threads
                            : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  }

  core::Status CheckPacks(std::unordered_map<Id, uint64_t, IdHash>* sizes) {
    HS_ASSIGN_OR_RETURN(auto files, repo.ListFiles(storage::FileType::kPack));
    for (const auto& f : files) {
      auto id = IdFromHex(f.name);
      if (id.ok())
        (*sizes)[*id] = f.size;
    }
    ForEachPack([&](const Id& pack, const std::vector<PackedBlob>& blobs) {
      ++report.packs;
      report.blobs += blobs.size();
      auto it = sizes->find(pack);
      if (it == sizes->end()) {
        Error("pack '" + IdToHex(pack) + "' is listed in the index but missing");
      } else if (it->second != PackSizeFromBlobs(blobs)) {
        Error("pack '" + IdToHex(pack) + "': size " + std::to_string(it->second) +
              " does not match the index (expected " + std::to_string(PackSizeFromBlobs(blobs)) +
              ")");
      }
    });
    for (const auto& [pack, size] : *sizes) {
      if (!HasPack(pack)) {
        Hint("pack '" + IdToHex(pack) + "' is not referenced by any index (prune removes it)");
      }
    }
    return core::Status::Ok();
  }

  void CheckTree(const Id& tree, std::unordered_set<Id, IdHash>* seen, const std::string& where) {
    if (!seen->insert(tree).second)
      return;
    auto json = repo.LoadBlob(tree, BlobType::kTree);
    if (!json.ok()) {
      Error(where + ": tree '" + IdToHex(tree) + "': " + json.status().message());
      return;
    }
    auto nodes = ParseTreeJson(core::AsString(*json));
    if (!nodes.ok()) {
      Error(where + ": tree '" + IdToHex(tree) + "': " + nodes.status().message());
      return;
    }
    for (const auto& n : *nodes) {
      if (n.type == "file") {
        for (const auto& id : n.content) {
          if (!repo.blobs().Has(id, BlobType::kData)) {
            Error(where + ": file '" + n.name + "': data blob '" + IdToHex(id) +
                  "' is not in the index");
          }
        }
      } else if (n.type == "dir") {
        if (!n.subtree) {
          Error(where + ": dir '" + n.name + "' has no subtree");
        } else {
          CheckTree(*n.subtree, seen, where);
        }
      }
    }
  }

  core::Status CheckSnapshots() {
    HS_ASSIGN_OR_RETURN(auto files, repo.ListFiles(storage::FileType::kSnapshot));
    std::unordered_set<Id, IdHash> seen;
    for (const auto& f : files) {
      ++report.snapshots;
      auto id = IdFromHex(f.name);
      if (!id.ok())
        continue;
      auto snap = repo.LoadSnapshot(*id);
      if (!snap.ok()) {
        Error("snapshot '" + f.name + "': " + snap.status().message());
        continue;
      }
      CheckTree(snap->tree, &seen, "snapshot '" + f.name.substr(0, 8) + "'");
    }
    return core::Status::Ok();
  }

  void ReadPack(const Id& pack, uint64_t size, const std::vector<PackedBlob>* indexed) {
    std::string name = IdToHex(pack);
    core::Bytes data;
    core::Status s =
        repo.backend().Load(storage::Handle{storage::FileType::kPack, name}, 0, 0, &data);
    if (!s.ok()) {
      Error("pack '" + name + "': " + s.message());
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      report.bytes_read += data.size();
    }
    if (Sha256(data) != pack) {
      Error("pack '" + name + "': content does not match its name (hash mismatch)");
    }
    auto header = ParsePackHeader(repo.key(), data, size);
    if (!header.ok()) {
      Error("pack '" + name + "': header: " + header.status().message());
      return;
    }
    if (indexed != nullptr && indexed->size() != header->size()) {
      Error("pack '" + name + "': header lists " + std::to_string(header->size()) +
            " blobs, the index " + std::to_string(indexed->size()));
    }
    // The index may list a pack's blobs in any order; match them to the header by offset.
    std::unordered_map<uint32_t, PackedBlob> by_offset;
    if (indexed != nullptr) {
      for (const auto& x : *indexed)
        by_offset[x.offset] = x;
    }
    core::Bytes plain;
    for (const PackedBlob& b : *header) {
      auto it = by_offset.find(b.offset);
      if (indexed != nullptr && (it == by_offset.end() || it->second.id != b.id ||
                                 it->second.type != b.type || it->second.length != b.length ||
                                 it->second.uncompressed_length != b.uncompressed_length)) {
        Error("pack '" + name + "': blob '" + IdToHex(b.id) + "' does not match the index");
      }
      core::ByteView stored(data.data() + b.offset, b.length);
      s = DecodeBlob(repo.key(), b, stored, &plain);
      if (!s.ok()) {
        Error("pack '" + name + "': " + s.message());
      }
    }
  }

  void ReadData(const std::unordered_map<Id, uint64_t, IdHash>& sizes) {
    if (on_disk) {
      // One pack at a time with the blobs its index file lists: no pack table in memory.
      seen_packs.clear();
      ForEachPack([&](const Id& pack, const std::vector<PackedBlob>& blobs) {
        auto it = sizes.find(pack);
        if (it != sizes.end())
          ReadPack(pack, it->second, &blobs);
      });
      return;
    }
    std::vector<std::pair<Id, uint64_t>> packs;
    repo.index().ForEachPack([&](const Id& pack, const std::vector<PackedBlob>&) {
      auto it = sizes.find(pack);
      if (it != sizes.end())
        packs.emplace_back(pack, it->second);
    });
    (void)ParallelFor(packs.size(), Threads(), [&](size_t i) {
      ReadPack(packs[i].first, packs[i].second, repo.index().PackBlobs(packs[i].first));
      return core::Status::Ok();
    });
  }
};

}  // namespace

core::Result<CheckReport> CheckRepository(Repository& repo, const CheckOptions& options) {
  Checker c{repo, options, {}, {}, false, {}};
  // Check asks the index "is this data blob stored?" and walks it pack by pack: both work from
  // the on-disk index when the repository's index options choose it (LoadBlobIndex).
  core::Status s = repo.LoadBlobIndex();
  c.on_disk = repo.blob_index_on_disk();
  if (!s.ok()) {
    c.report.errors.push_back("index: " + s.message());
    return c.report;
  }
  std::unordered_map<Id, uint64_t, IdHash> sizes;
  HS_TRY(c.CheckPacks(&sizes));
  HS_TRY(c.CheckSnapshots());
  if (options.read_data) {
    c.ReadData(sizes);
  }
  return c.report;
}

}  // namespace hasteward::repo
