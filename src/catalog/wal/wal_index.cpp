// WalIndex: opening (one listing of hasteward/archive-index/), reading and appending. The merges
// (Compact, Replace) are in wal_index_merge.cpp.
#include "catalog/wal/wal_index.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "platform/platform.h"
#include "repo/compress/zstd_codec.h"

namespace hasteward::catalog {

namespace {

constexpr std::string_view kSuffix = ".idx";

std::string Hex(uint64_t value, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(value));
  return buf;
}

// The part letter of a listed name after the cluster key ("d-<id>.idx", "s-<id>.idx", and the
// version-1 layout's "b-<timeline>-<bucket>-<id>.idx"), and the id of a delta or summary.
struct ParsedName {
  char part = 0;
  std::string id;
};

std::optional<ParsedName> ParseName(const std::string& rest) {
  if (rest.size() < 3 + kSuffix.size() || rest[1] != '-') {
    return std::nullopt;
  }
  return ParsedName{rest[0], rest.substr(2, rest.size() - 2 - kSuffix.size())};
}

// One entry per name: the first listed wins (two copies of one name hold the same bytes, or the
// second push was refused).
std::vector<WalIndexEntry> Unique(std::vector<WalIndexEntry> entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const WalIndexEntry& a, const WalIndexEntry& b) { return a.name < b.name; });
  entries.erase(
      std::unique(entries.begin(), entries.end(),
                  [](const WalIndexEntry& a, const WalIndexEntry& b) { return a.name == b.name; }),
      entries.end());
  return entries;
}

bool InBucket(const WalIndexEntry& entry, const BucketKey& key) {
  return entry.kind != engine::ArchiveFileKind::kHistory && entry.timeline == key.first &&
         BucketOf(entry.segment) == key.second;
}

}  // namespace

std::string NewIndexFileId() {
  uint8_t random[8];
  repo::RandomBytes(random, sizeof random);
  std::string hex;
  for (uint8_t byte : random) {
    hex += Hex(byte, 2);
  }
  return hex;
}

std::string ArchiveFileKey(const platform::Cluster& cluster) {
  const std::string identity =
      std::string(platform::EngineKindName(cluster.engine)) + "/" + cluster.ns + "/" + cluster.name;
  return repo::IdToHex(repo::Sha256(core::AsBytes(identity))).substr(0, 16);
}

WalIndex WalIndex::Unlisted(repo::Repository& repo, const platform::Cluster& cluster) {
  return WalIndex(repo, cluster.ns + "/" + cluster.name, ArchiveFileKey(cluster));
}

core::Result<WalIndex> WalIndex::Open(repo::Repository& repo, const platform::Cluster& cluster) {
  WalIndex index = Unlisted(repo, cluster);
  HS_TRY(index.List());
  return index;
}

core::Status WalIndex::List() {
  const std::string prefix = key_ + "-";
  core::Status listed = repo_->backend().List(
      storage::FileType::kArchiveIndex, [&](const storage::FileInfo& info) -> core::Status {
        if (info.name.rfind(prefix, 0) != 0 ||
            !storage::IsValidName(storage::FileType::kArchiveIndex, info.name)) {
          return core::Status::Ok();
        }
        auto parsed = ParseName(info.name.substr(prefix.size()));
        if (!parsed) {
          return core::Status::Ok();  // not a name this build writes
        }
        if (parsed->part == 's') {
          summaries_.push_back(info.name);
        } else if (parsed->part == 'd') {
          deltas_.push_back(info.name);
        } else if (parsed->part == 'b') {
          legacy_.push_back(info.name);
        }
        return core::Status::Ok();
      });
  if (!listed.ok()) {
    return listed.Wrap("list the archive index (hasteward/archive-index/)");
  }
  return core::Status::Ok();
}

storage::Handle WalIndex::IndexFile(const std::string& part, const std::string& id) const {
  return storage::Handle{storage::FileType::kArchiveIndex,
                         key_ + "-" + part + "-" + id + std::string(kSuffix)};
}

storage::Handle WalIndex::BucketFile(const BucketKey& key, const std::string& id) const {
  return storage::Handle{storage::FileType::kArchiveBucket, key_ + "-b-" + Hex(key.first, 8) + "-" +
                                                                Hex(key.second, 16) + "-" + id +
                                                                std::string(kSuffix)};
}

core::Result<IndexFileContent> WalIndex::ReadFile(const storage::Handle& handle, IndexPart part) {
  const std::string where = "archive index file '" +
                            std::string(storage::FileTypeDir(handle.type)) + "/" + handle.name +
                            "'";
  const std::string hint =
      "the index is rebuilt from the snapshots when its files are removed: delete "
      "hasteward/archive-index/ files of this cluster, or run the command again";
  core::Bytes stored;
  core::Status loaded = repo_->backend().Load(handle, 0, 0, &stored);
  if (!loaded.ok()) {
    return loaded.Wrap("read " + where);  // kNotFound: merged away by another writer
  }
  auto plain = repo::Decrypt(repo_->key(), stored);
  core::Bytes json;
  if (!plain.ok() || !repo::ZstdDecompress(*plain, 0, &json).ok()) {
    return core::Status(core::ErrorCode::kCorruption,
                        where + " cannot be decrypted (torn, altered, or another key's)", hint);
  }
  auto content = DecodeIndexFile(core::AsString(json));
  if (!content.ok()) {
    return core::Status(core::ErrorCode::kCorruption, where + ": " + content.status().message(),
                        hint);
  }
  if (content->cluster != cluster_ || content->part != part) {
    return core::Status(core::ErrorCode::kCorruption,
                        where + " belongs to '" + content->cluster + "', not '" + cluster_ + "'",
                        hint);
  }
  return content;
}

core::Status WalIndex::WriteFile(const storage::Handle& handle, const IndexFileContent& content) {
  core::Bytes compressed;
  repo::ZstdCompressAppend(core::AsBytes(EncodeIndexFile(content)), 3, &compressed);
  core::Bytes encrypted = repo::Encrypt(repo_->key(), compressed);
  core::Status saved = repo_->backend().Save(handle, encrypted);
  if (!saved.ok()) {
    return saved.Wrap("write archive index file '" +
                      std::string(storage::FileTypeDir(handle.type)) + "/" + handle.name + "'");
  }
  return core::Status::Ok();
}

core::Result<const WalIndex::Deltas*> WalIndex::ReadDeltas() {
  if (!deltas_read_) {
    Deltas read;
    for (const std::string& name : deltas_) {
      HS_ASSIGN_OR_RETURN(IndexFileContent delta,
                          ReadFile({storage::FileType::kArchiveIndex, name}, IndexPart::kDelta));
      if (!delta.entries.empty()) {
        read.pushes.insert(ParseName(name.substr(key_.size() + 1))->id);
      }
      std::move(delta.entries.begin(), delta.entries.end(), std::back_inserter(read.entries));
      std::move(delta.bases.begin(), delta.bases.end(), std::back_inserter(read.bases));
    }
    deltas_read_ = std::move(read);
  }
  return &*deltas_read_;
}

core::Result<const WalIndexSummary*> WalIndex::Summary() {
  if (!summary_) {
    WalIndexSummary summary;
    for (const std::string& name : summaries_) {
      HS_ASSIGN_OR_RETURN(IndexFileContent content,
                          ReadFile({storage::FileType::kArchiveIndex, name}, IndexPart::kSummary));
      summary.Merge(content.summary);
    }
    HS_ASSIGN_OR_RETURN(const Deltas* deltas, ReadDeltas());
    for (const WalIndexEntry& entry : deltas->entries) {
      summary.Add(entry);
    }
    for (const IndexedBase& base : deltas->bases) {
      summary.bases.emplace(base.snapshot, base);
    }
    // A delta a summary already counts (a merge that stopped before removing it) counts once.
    for (const std::string& push : deltas->pushes) {
      summary.wal_snapshots += summary.merged_deltas.count(push) == 0 ? 1 : 0;
    }
    summary_ = std::move(summary);
  }
  return &*summary_;
}

core::Result<WalIndexSummary> WalIndex::ReadSummary() {
  HS_ASSIGN_OR_RETURN(const WalIndexSummary* summary, Summary());
  return *summary;
}

core::Result<std::vector<WalIndexEntry>> WalIndex::ReadBucketFiles(const BucketKey& key,
                                                                   BucketFiles* replaced) {
  HS_ASSIGN_OR_RETURN(const WalIndexSummary* summary, Summary());
  std::vector<WalIndexEntry> entries;
  auto named = summary->buckets.find(key);
  if (named == summary->buckets.end()) {
    return entries;
  }
  std::set<std::string> superseded;
  std::vector<std::string> missing;
  for (const std::string& id : named->second) {
    auto content = ReadFile(BucketFile(key, id), IndexPart::kBucket);
    if (!content.ok() && content.status().code() == core::ErrorCode::kNotFound) {
      missing.push_back(id);
      continue;
    }
    HS_TRY(content.status());
    superseded.insert(content->supersedes.begin(), content->supersedes.end());
    std::move(content->entries.begin(), content->entries.end(), std::back_inserter(entries));
  }
  // Two merges that raced each wrote a summary naming the bucket files it kept; a file one of
  // them removed is safe to miss only when a file read here holds its entries (says it replaced
  // it). Otherwise the caller opens the index again (or rebuilds it, when that keeps happening).
  for (const std::string& id : missing) {
    if (superseded.count(id) == 0) {
      return core::NotFound("archive bucket file '" + BucketFile(key, id).name + "' is gone");
    }
  }
  if (replaced != nullptr) {
    *replaced = {named->second, std::move(superseded)};
  }
  return entries;
}

core::Result<std::vector<WalIndexEntry>> WalIndex::ReadMergedBucket(const BucketKey& key,
                                                                    BucketFiles* replaced) {
  HS_ASSIGN_OR_RETURN(std::vector<WalIndexEntry> entries, ReadBucketFiles(key, replaced));
  HS_ASSIGN_OR_RETURN(const Deltas* deltas, ReadDeltas());
  for (const WalIndexEntry& entry : deltas->entries) {
    if (InBucket(entry, key)) {
      entries.push_back(entry);
    }
  }
  return Unique(std::move(entries));
}

core::Result<std::vector<WalIndexEntry>> WalIndex::ReadBucket(uint32_t timeline, uint64_t bucket) {
  return ReadMergedBucket({timeline, bucket}, nullptr);
}

core::Result<std::vector<WalIndexEntry>> WalIndex::ReadAll() {
  HS_ASSIGN_OR_RETURN(const WalIndexSummary* summary, Summary());
  std::vector<BucketKey> keys;
  for (const auto& [key, ids] : summary->buckets) {
    keys.push_back(key);
  }
  // The bucket files are independent reads: as many at once as the backend serves.
  std::vector<std::vector<WalIndexEntry>> read(keys.size());
  HS_TRY(
      repo::ParallelFor(keys.size(), repo_->backend().Connections(), [&](size_t i) -> core::Status {
        HS_ASSIGN_OR_RETURN(read[i], ReadBucketFiles(keys[i], nullptr));
        return core::Status::Ok();
      }));
  std::vector<WalIndexEntry> entries;
  for (auto& bucket : read) {
    std::move(bucket.begin(), bucket.end(), std::back_inserter(entries));
  }
  for (const auto& [name, history] : summary->histories) {  // histories live in the summary
    entries.push_back(history);
  }
  HS_ASSIGN_OR_RETURN(const Deltas* deltas, ReadDeltas());
  entries.insert(entries.end(), deltas->entries.begin(), deltas->entries.end());
  return Unique(std::move(entries));
}

core::Status WalIndex::Append(const std::vector<WalIndexEntry>& entries,
                              const std::vector<IndexedBase>& bases) {
  IndexFileContent delta;
  delta.cluster = cluster_;
  delta.part = IndexPart::kDelta;
  delta.entries = entries;
  delta.bases = bases;
  return WriteFile(IndexFile("d", NewIndexFileId()), delta);
}

}  // namespace hasteward::catalog
