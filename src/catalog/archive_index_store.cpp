#include "catalog/archive_index_store.h"

#include <cstdio>

#include "repo/compress/zstd_codec.h"
#include "repo/crypto/crypto.h"

namespace hasteward::catalog {

namespace {

constexpr std::string_view kSuffix = ".idx";

struct PartName {
  ArchiveIndexPart part;
  const char* name;
};
constexpr PartName kPartNames[] = {{ArchiveIndexPart::kDelta, "delta"},
                                   {ArchiveIndexPart::kBucket, "bucket"},
                                   {ArchiveIndexPart::kSummary, "summary"}};

}  // namespace

const char* const kArchiveIndexRebuildHint =
    "the index is rebuilt from the snapshots when its files are removed: delete "
    "hasteward/archive-index/ files of this cluster, or run the command again";

const char* ArchiveIndexPartName(ArchiveIndexPart part) {
  for (const auto& known : kPartNames) {
    if (known.part == part) {
      return known.name;
    }
  }
  return "delta";
}

core::Result<ArchiveIndexPart> ParseArchiveIndexPart(const std::string& name) {
  for (const auto& known : kPartNames) {
    if (name == known.name) {
      return known.part;
    }
  }
  return core::Corruption("unknown archive index part '" + name + "'");
}

ArchiveIndexStore::ArchiveIndexStore(repo::Repository& repo, const platform::Cluster& cluster,
                                     std::string_view kind_namespace)
    : repo_(&repo), cluster_(cluster.ns + "/" + cluster.name) {
  // A hash, not the names: names may hold characters an object name cannot, and the listing of
  // a shared repository then tells nobody which clusters it holds.
  std::string identity =
      std::string(platform::EngineKindName(cluster.engine)) + "/" + cluster.ns + "/" + cluster.name;
  if (!kind_namespace.empty()) {
    identity = std::string(kind_namespace) + ":" + identity;
  }
  key_ = repo::IdToHex(repo::Sha256(core::AsBytes(identity))).substr(0, 16);
}

core::Status ArchiveIndexStore::List(
    const std::function<void(const std::string& name, const std::string& rest)>& fn) {
  const std::string prefix = key_ + "-";
  core::Status listed = repo_->backend().List(
      storage::FileType::kArchiveIndex, [&](const storage::FileInfo& info) -> core::Status {
        if (info.name.rfind(prefix, 0) == 0 &&
            storage::IsValidName(storage::FileType::kArchiveIndex, info.name)) {
          fn(info.name, info.name.substr(prefix.size()));
        }
        return core::Status::Ok();
      });
  if (!listed.ok()) {
    return listed.Wrap("list the archive index (hasteward/archive-index/)");
  }
  return core::Status::Ok();
}

std::string ArchiveIndexStore::NewName(const std::string& middle) const {
  uint8_t random[8];
  repo::RandomBytes(random, sizeof random);
  std::string hex;
  for (uint8_t byte : random) {
    char digits[4];
    std::snprintf(digits, sizeof digits, "%02x", byte);
    hex += digits;
  }
  return key_ + "-" + middle + "-" + hex + std::string(kSuffix);
}

core::Result<std::string> ArchiveIndexStore::Load(const std::string& name) {
  const std::string where = "archive index file 'hasteward/archive-index/" + name + "'";
  core::Bytes stored;
  core::Status loaded =
      repo_->backend().Load(storage::Handle{storage::FileType::kArchiveIndex, name}, 0, 0, &stored);
  if (!loaded.ok()) {
    return loaded.Wrap("read " + where);  // kNotFound: merged away by another writer
  }
  auto plain = repo::Decrypt(repo_->key(), stored);
  core::Bytes json;
  if (!plain.ok() || !repo::ZstdDecompress(*plain, 0, &json).ok()) {
    return core::Status(core::ErrorCode::kCorruption,
                        where + " cannot be decrypted (torn, altered, or another key's)",
                        kArchiveIndexRebuildHint);
  }
  return std::string(core::AsString(json));
}

core::Status ArchiveIndexStore::Save(const std::string& name, const std::string& json) {
  core::Bytes compressed;
  repo::ZstdCompressAppend(core::AsBytes(json), 3, &compressed);
  core::Bytes encrypted = repo::Encrypt(repo_->key(), compressed);
  core::Status saved =
      repo_->backend().Save(storage::Handle{storage::FileType::kArchiveIndex, name}, encrypted);
  if (!saved.ok()) {
    return saved.Wrap("write archive index file 'hasteward/archive-index/" + name + "'");
  }
  return core::Status::Ok();
}

core::Status ArchiveIndexStore::Remove(const std::vector<std::string>& names) {
  return repo::ParallelFor(names.size(), repo_->backend().Connections(), [&](size_t i) {
    return repo_->backend().Remove(storage::Handle{storage::FileType::kArchiveIndex, names[i]});
  });
}

core::Status CheckIndexedSnapshotsExist(repo::Repository& repo, const std::set<repo::Id>& ids,
                                        const std::set<std::string>* listed,
                                        std::string_view kind) {
  for (const repo::Id& id : ids) {
    const std::string name = repo::IdToHex(id);
    bool exists = listed != nullptr && listed->count(name) != 0;
    if (listed == nullptr) {
      auto info = repo.backend().Stat(storage::Handle{storage::FileType::kSnapshot, name});
      if (!info.ok() && info.status().code() != core::ErrorCode::kNotFound) {
        return info.TakeStatus();
      }
      exists = info.ok();
    }
    if (!exists) {
      return core::Corruption("the archive index names " + std::string(kind) + " snapshot " +
                              name.substr(0, 8) +
                              ", which is gone (removed by other means than hasteward prune)");
    }
  }
  return core::Status::Ok();
}

}  // namespace hasteward::catalog
