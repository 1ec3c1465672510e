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

  void Error(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu);
    report.errors.push_back(e);
  }
  void Hint(const std::string& h) {
    std::lock_guard<std::mutex> lock(mu);
    report.hints.push_back(h);
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
    repo.index().ForEachPack([&](const Id& pack, const std::vector<PackedBlob>& blobs) {
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
      if (!repo.index().HasPack(pack)) {
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
          if (!repo.index().Has(id, BlobType::kData)) {
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

  void ReadPack(const Id& pack, uint64_t size) {
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
    const std::vector<PackedBlob>* indexed = repo.index().PackBlobs(pack);
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
    std::vector<std::pair<Id, uint64_t>> packs;
    repo.index().ForEachPack([&](const Id& pack, const std::vector<PackedBlob>&) {
      auto it = sizes.find(pack);
      if (it != sizes.end())
        packs.emplace_back(pack, it->second);
    });
    (void)ParallelFor(packs.size(), Threads(), [&](size_t i) {
      ReadPack(packs[i].first, packs[i].second);
      return core::Status::Ok();
    });
  }
};

}  // namespace

core::Result<CheckReport> CheckRepository(Repository& repo, const CheckOptions& options) {
  Checker c{repo, options, {}, {}};
  core::Status s = repo.LoadIndex();
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
