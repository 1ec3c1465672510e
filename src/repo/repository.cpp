#include "repo/repository.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "repo/chunker/chunker.h"
#include "repo/compress/zstd_codec.h"
#include "repo/index/index_choice.h"

namespace hasteward::repo {

namespace {

using storage::FileType;
using storage::Handle;

constexpr uint8_t kUnpackedV2 = 2;
// Index files newer than the cached on-disk index that are read into memory instead of rebuilding
// it: each backup adds one, so up to this many backups reuse the file (a few MiB of overlay).
constexpr size_t kMaxIndexFilesOverDisk = 32;

}  // namespace

core::Status ParallelFor(size_t n, int threads, const std::function<core::Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  core::Status first;
  std::atomic<bool> failed{false};
  auto worker = [&] {
    while (!failed) {
      size_t i = next++;
      if (i >= n)
        return;
      core::Status s = fn(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first.ok())
          first = std::move(s);
        failed = true;
      }
    }
  };
  size_t count = std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), n);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < count; ++t)
    pool.emplace_back(worker);
  if (count > 0)
    worker();
  for (auto& t : pool)
    t.join();
  return first;
}

std::string EncodeConfigJson(const RepoConfig& c) {
  char poly[32];
  std::snprintf(poly, sizeof(poly), "%llx", static_cast<unsigned long long>(c.chunker_polynomial));
  return "{\"version\":" + std::to_string(c.version) + ",\"id\":\"" + c.id +
         "\",\"chunker_polynomial\":\"" + poly + "\"}";
}

core::Result<RepoConfig> ParseConfigJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return core::Corruption("config is not valid JSON");
  }
  RepoConfig c;
  c.version = j.value("version", 0);
  c.id = j.value("id", "");
  std::string poly = j.value("chunker_polynomial", "");
  c.chunker_polynomial = std::strtoull(poly.c_str(), nullptr, 16);
  if (c.version < 1 || c.version > 2) {
    return core::Corruption("unsupported repository version " + std::to_string(c.version))
        .WithHint("this build reads repository versions 1 and 2");
  }
  if (!IsValidPolynomial(c.chunker_polynomial)) {
    return core::Corruption("config has an invalid chunker polynomial '" + poly + "'");
  }
  return c;
}

core::Result<std::unique_ptr<Repository>> Repository::Init(
    std::unique_ptr<storage::Backend> backend, const std::string& password,
    const InitOptions& options) {
  auto existing = backend->Stat(Handle{FileType::kConfig, ""});
  if (existing.ok()) {
    return core::Status(core::ErrorCode::kAlreadyExists,
                        "repository '" + backend->Location() + "' already exists",
                        "use the existing repository or choose another --backups-path");
  }
  if (existing.status().code() != core::ErrorCode::kNotFound) {
    return existing.TakeStatus();
  }
  if (password.empty()) {
    return core::Usage("an empty password is not allowed");
  }
  if (options.object_lock.count() > 0) {
    storage::ObjectLock* lock = backend->ObjectLocking();
    if (lock == nullptr) {
      return core::Usage("'" + backend->Location() + "' cannot lock objects",
                         "--object-lock needs an S3 repository whose bucket has (or is created "
                         "with) Object Lock (docs/object-lock.md)");
    }
    // Before Create: a bucket gets Object Lock only when it is created.
    HS_TRY(lock->Enable(options.object_lock));
  }
  HS_TRY(backend->Create());
  MasterKey master = MasterKey::Random();
  RepoConfig config;
  Id rid;
  RandomBytes(rid.data(), rid.size());
  config.id = IdToHex(rid);
  config.chunker_polynomial = options.polynomial != 0 ? options.polynomial : RandomPolynomial();
  KeyFileInfo info{options.hostname, options.username,
                   LocalTimeNow(core::SystemClock::Get()).Format()};
  HS_ASSIGN_OR_RETURN(std::string key_json, MakeKeyFile(master, password, options.kdf, info));
  Id key_id = Sha256(core::AsBytes(key_json));
  HS_TRY(backend->Save(Handle{FileType::kKey, IdToHex(key_id)}, core::AsBytes(key_json)));
  // The config is written last: a repository without config does not exist yet.
  core::Bytes config_bytes = Encrypt(master, core::AsBytes(EncodeConfigJson(config)));
  HS_TRY(backend->Save(Handle{FileType::kConfig, ""}, config_bytes));
  return std::unique_ptr<Repository>(new Repository(std::move(backend), master, config));
}

core::Result<std::unique_ptr<Repository>> Repository::Open(
    std::unique_ptr<storage::Backend> backend, const std::string& password) {
  core::Bytes config_bytes;
  core::Status s = backend->Load(Handle{FileType::kConfig, ""}, 0, 0, &config_bytes);
  if (s.code() == core::ErrorCode::kNotFound) {
    return core::Status(core::ErrorCode::kRepoNotFound,
                        "repository '" + backend->Location() + "' does not exist",
                        "create it with 'hasteward repo init' or check --backups-path");
  }
  HS_TRY(s);
  std::vector<storage::FileInfo> keys;
  HS_TRY(backend->List(FileType::kKey, [&keys](const storage::FileInfo& fi) {
    keys.push_back(fi);
    return core::Status::Ok();
  }));
  for (const auto& k : keys) {
    core::Bytes key_json;
    HS_TRY(backend->Load(Handle{FileType::kKey, k.name}, 0, 0, &key_json));
    auto master = OpenKeyFile(core::AsString(key_json), password);
    if (master.status().code() == core::ErrorCode::kWrongPassword) {
      continue;
    }
    if (!master.ok()) {
      return master.TakeStatus().Wrap("key '" + k.name + "'");
    }
    auto plain = Decrypt(*master, config_bytes);
    if (!plain.ok()) {
      return plain.TakeStatus().Wrap("config");
    }
    HS_ASSIGN_OR_RETURN(RepoConfig config, ParseConfigJson(core::AsString(*plain)));
    HS_ASSIGN_OR_RETURN(IndexOptions index_options,
                        IndexOptionsFromEnvironment(backend->Location()));
    std::unique_ptr<Repository> repo(new Repository(std::move(backend), *master, config));
    repo->SetIndexOptions(std::move(index_options));
    return repo;
  }
  return core::Status(core::ErrorCode::kWrongPassword,
                      "wrong password or no key found in repository '" + backend->Location() + "'",
                      "check --restic-password / RESTIC_PASSWORD / RESTIC_PASSWORD_FILE");
}

core::Result<Id> Repository::SaveUnpacked(FileType type, const std::string& json) {
  core::Bytes plain;
  plain.push_back(kUnpackedV2);
  if (config_.version >= 2) {
    ZstdCompressAppend(core::AsBytes(json), 3, &plain);
  } else {
    plain.assign(json.begin(), json.end());
  }
  core::Bytes enc = Encrypt(key_, plain);
  Id id = Sha256(enc);
  HS_TRY(backend_->Save(Handle{type, IdToHex(id)}, enc));
  return id;
}

core::Result<std::string> Repository::LoadUnpacked(FileType type, const Id& id) {
  core::Bytes enc;
  HS_TRY(backend_->Load(Handle{type, IdToHex(id)}, 0, 0, &enc));
  std::string what = std::string(storage::FileTypeDir(type)) + "/" + IdToHex(id);
  if (Sha256(enc) != id) {
    return core::Corruption("'" + what + "': content does not match its name");
  }
  core::Bytes plain;
  core::Status s = DecryptInto(key_, enc, &plain);
  if (!s.ok())
    return s.Wrap("'" + what + "'");
  if (plain.empty())
    return core::Corruption("'" + what + "' is empty");
  if (plain[0] == '{' || plain[0] == '[') {
    return core::AsString(plain);
  }
  if (plain[0] != kUnpackedV2) {
    return core::Corruption("'" + what + "' has unknown encoding version " +
                            std::to_string(plain[0]));
  }
  core::Bytes json;
  s = ZstdDecompress(core::ByteView(plain).subspan(1), 0, &json);
  if (!s.ok())
    return s.Wrap("'" + what + "'");
  return core::AsString(json);
}

core::Status Repository::LoadIndex() {
  HS_ASSIGN_OR_RETURN(auto files, ListFiles(FileType::kIndex));
  std::vector<Id> ids(files.size());
  std::vector<IndexFile> parsed(files.size());
  HS_TRY(ParallelFor(files.size(), backend_->Connections(), [&](size_t i) -> core::Status {
    HS_ASSIGN_OR_RETURN(ids[i], IdFromHex(files[i].name));
    HS_ASSIGN_OR_RETURN(std::string json, LoadUnpacked(FileType::kIndex, ids[i]));
    auto idx = ParseIndexJson(json);
    if (!idx.ok())
      return idx.TakeStatus().Wrap("index '" + files[i].name + "'");
    parsed[i] = std::move(*idx);
    return core::Status::Ok();
  }));
  for (auto& idx : parsed) {
    for (auto& [pack_id, blobs] : idx.packs) {
      index_.AddPack(pack_id, blobs);
    }
  }
  // Packs this process saved that may be in no index file yet must stay findable.
  if (disk_blobs_) {
    disk_blobs_->overlay().ForEachPack(
        [this](const Id& pack, const std::vector<PackedBlob>& blobs) {
          index_.AddPack(pack, blobs);
        });
    disk_blobs_.reset();
  }
  index_files_ = std::move(ids);
  return core::Status::Ok();
}

bool Repository::WantsDiskIndex(const std::vector<storage::FileInfo>& files) const {
  return repo::WantsDiskIndex(index_options_, files);
}

core::Status Repository::LoadBlobIndex() {
  HS_ASSIGN_OR_RETURN(auto files, ListFiles(FileType::kIndex));
  if (!WantsDiskIndex(files) || index_.BlobCount() > 0) {
    return LoadIndex();
  }
  std::vector<Id> ids(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    HS_ASSIGN_OR_RETURN(ids[i], IdFromHex(files[i].name));
  }
  DiskIndexOpenOptions options;
  options.dir = index_options_.cache_dir;
  options.build = index_options_.build;
  // Read one file at a time: the build's memory is its budget plus one parsed index file.
  auto load = [this](const Id& id) -> core::Result<IndexFile> {
    HS_ASSIGN_OR_RETURN(std::string json, LoadUnpacked(FileType::kIndex, id));
    auto idx = ParseIndexJson(json);
    if (!idx.ok())
      return idx.TakeStatus().Wrap("index '" + IdToHex(id) + "'");
    return idx;
  };
  options.max_missing_files = kMaxIndexFilesOverDisk;
  auto opened = DiskIndex::Open(ids, load, options);
  if (!opened.ok() && index_options_.mode == IndexMode::kAuto) {
    // A cache that cannot be written (read-only home, full disk) must not fail a backup that the
    // in-memory index can still do; an unreadable index file fails LoadIndex too.
    core::LogWarn("the on-disk blob index is unavailable, loading the index into memory",
                  {{"reason", opened.status().message()}});
    return LoadIndex();
  }
  HS_TRY(opened.status());
  std::unique_ptr<DiskIndex> disk = std::move(*opened);
  const std::vector<Id> missing = disk->missing_files();
  auto next = std::make_unique<DiskBlobIndex>(std::move(disk));
  for (const Id& file : missing) {
    HS_ASSIGN_OR_RETURN(IndexFile idx, load(file));
    for (const auto& [pack_id, blobs] : idx.packs) {
      next->AddPack(pack_id, blobs);
    }
  }
  if (disk_blobs_) {
    disk_blobs_->overlay().ForEachPack(
        [&next](const Id& pack, const std::vector<PackedBlob>& blobs) {
          next->AddPack(pack, blobs);
        });
  }
  disk_blobs_ = std::move(next);
  index_files_ = std::move(ids);
  return core::Status::Ok();
}

core::Result<core::Bytes> Repository::LoadBlob(const Id& id, BlobType type) {
  auto loc = blobs().Lookup(id, type);
  if (!loc) {
    return core::NotFound(std::string(BlobTypeName(type)) + " blob '" + IdToHex(id) +
                          "' is not in the index");
  }
  core::Bytes stored;
  HS_TRY(backend_->Load(Handle{FileType::kPack, IdToHex(loc->pack_id)}, loc->blob.offset,
                        loc->blob.length, &stored));
  core::Bytes plain;
  core::Status s = DecodeBlob(key_, loc->blob, stored, &plain);
  if (!s.ok())
    return s.Wrap("pack '" + IdToHex(loc->pack_id) + "'");
  return plain;
}

core::Result<std::vector<storage::FileInfo>> Repository::ListFiles(FileType type) {
  std::vector<storage::FileInfo> files;
  std::mutex mu;
  HS_TRY(backend_->List(type, [&](const storage::FileInfo& fi) {
    std::lock_guard<std::mutex> lock(mu);
    files.push_back(fi);
    return core::Status::Ok();
  }));
  return files;
}

core::Result<Snapshot> Repository::LoadSnapshot(const Id& id) {
  HS_ASSIGN_OR_RETURN(std::string json, LoadUnpacked(FileType::kSnapshot, id));
  auto snap = ParseSnapshotJson(json);
  if (!snap.ok())
    return snap.TakeStatus().Wrap("snapshot '" + IdToHex(id) + "'");
  snap->id = id;
  return snap;
}

core::Result<std::vector<Snapshot>> Repository::ListSnapshots() {
  HS_ASSIGN_OR_RETURN(auto files, ListFiles(FileType::kSnapshot));
  std::vector<Snapshot> snaps(files.size());
  HS_TRY(ParallelFor(files.size(), backend_->Connections(), [&](size_t i) -> core::Status {
    HS_ASSIGN_OR_RETURN(Id id, IdFromHex(files[i].name));
    HS_ASSIGN_OR_RETURN(snaps[i], LoadSnapshot(id));
    return core::Status::Ok();
  }));
  std::stable_sort(snaps.begin(), snaps.end(),
                   [](const Snapshot& a, const Snapshot& b) { return a.time < b.time; });
  return snaps;
}

core::Result<Snapshot> Repository::FindSnapshot(const std::vector<Snapshot>& candidates,
                                                const std::string& ref) {
  if (ref == "latest" || ref.empty()) {
    if (candidates.empty()) {
      return core::NotFound("no snapshot found", "list snapshots with 'hasteward get backups'");
    }
    const Snapshot* best = &candidates.front();
    for (const auto& s : candidates) {
      if (!(s.time < best->time))
        best = &s;
    }
    return *best;
  }
  const Snapshot* match = nullptr;
  for (const auto& s : candidates) {
    if (IdToHex(s.id).rfind(ref, 0) == 0) {
      if (match != nullptr) {
        return core::Usage("snapshot prefix '" + ref + "' is ambiguous", "give more characters");
      }
      match = &s;
    }
  }
  if (match == nullptr) {
    return core::NotFound("snapshot '" + ref + "' not found",
                          "list snapshots with 'hasteward get backups'");
  }
  return *match;
}

}  // namespace hasteward::repo
