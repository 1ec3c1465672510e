// repo: the restic repository format (version 2, compressed) — config, key files, encryption,
// content-defined chunking, packs, index, trees, snapshots, locks — and the operations built on it:
// streaming backup, restore/export, check, forget/prune. Stock restic reads, checks and dumps what
// this layer writes, and it reads what restic writes (shared/docs/restic-format.md is the spec).
// It stores files only through storage::Backend and depends on storage and core, nothing higher.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "repo/crypto/crypto.h"
#include "repo/crypto/key_file.h"
#include "repo/index/blob_index.h"
#include "repo/index/disk_blob_index.h"
#include "repo/index/index_options.h"
#include "repo/index/master_index.h"
#include "repo/pack/pack.h"
#include "repo/snapshot/snapshot.h"
#include "storage/backend.h"

namespace hasteward::repo {

struct RepoConfig {
  int version = 2;
  std::string id;  // 64 hex
  uint64_t chunker_polynomial = 0;
};

struct InitOptions {
  KdfParams kdf;
  uint64_t polynomial = 0;  // 0 = random
  std::string hostname;
  std::string username;
  // > 0: every pack, snapshot, key and the config stay undeletable this long (S3 Object Lock,
  // docs/object-lock.md); kUsage when the backend cannot lock objects.
  std::chrono::seconds object_lock{0};
};

// An open repository: the backend, the master key and the config. The index is loaded on demand
// (LoadIndex). Thread-safe for concurrent blob loads and saves.
class Repository {
 public:
  // Creates a new repository: kAlreadyExists when a config is present; nothing is written then.
  static core::Result<std::unique_ptr<Repository>> Init(std::unique_ptr<storage::Backend> backend,
                                                        const std::string& password,
                                                        const InitOptions& options);
  // Opens with the password: kRepoNotFound without config, kWrongPassword when no key opens.
  // Writes nothing.
  static core::Result<std::unique_ptr<Repository>> Open(std::unique_ptr<storage::Backend> backend,
                                                        const std::string& password);

  storage::Backend& backend() { return *backend_; }
  const MasterKey& key() const { return key_; }
  const RepoConfig& config() const { return config_; }
  // The whole index in memory, pack by pack: what check, prune and the archive catalogs walk.
  // Filled by LoadIndex only (LoadBlobIndex may leave it empty).
  MasterIndex& index() { return index_; }
  // Blob lookups (backup's "already stored?", restore's "where?"): the on-disk index after
  // LoadBlobIndex chose it, else the in-memory one. Packs saved by this process go here.
  BlobIndex& blobs() { return disk_blobs_ ? static_cast<BlobIndex&>(*disk_blobs_) : index_; }
  // Whether blobs() is the on-disk index (index() is then empty unless LoadIndex ran since).
  bool blob_index_on_disk() const { return disk_blobs_ != nullptr; }

  // Loads every index file (in parallel) into index(). Idempotent; call again after other writers.
  // blobs() is the in-memory index afterwards (packs added to an on-disk one carried over).
  core::Status LoadIndex();
  // For callers that only look blobs up: loads the index into memory (LoadIndex), or, when the
  // index options choose the disk (index_options.h), opens the cached on-disk index of the
  // current index files, building it when missing or stale. Idempotent like LoadIndex.
  core::Status LoadBlobIndex();
  // Replaces the options Open took from the environment (IndexOptionsFromEnvironment).
  void SetIndexOptions(IndexOptions options) { index_options_ = std::move(options); }
  const IndexOptions& index_options() const { return index_options_; }
  // IDs of the index files that LoadIndex read.
  const std::vector<Id>& index_files() const { return index_files_; }

  // Unpacked files (index, snapshots, locks): Encrypt(0x02 || zstd(json)) in v2.
  core::Result<Id> SaveUnpacked(storage::FileType type, const std::string& json);
  core::Result<std::string> LoadUnpacked(storage::FileType type, const Id& id);

  // Loads, decrypts and verifies one blob through the index.
  core::Result<core::Bytes> LoadBlob(const Id& id, BlobType type);

  // All snapshots, sorted by time (oldest first). Unreadable snapshot files are an error.
  core::Result<std::vector<Snapshot>> ListSnapshots();
  // "latest" (newest by time among `candidates`), a full ID or a unique prefix.
  static core::Result<Snapshot> FindSnapshot(const std::vector<Snapshot>& candidates,
                                             const std::string& ref);
  core::Result<Snapshot> LoadSnapshot(const Id& id);

  // Lists all files of a type with their sizes.
  core::Result<std::vector<storage::FileInfo>> ListFiles(storage::FileType type);

 private:
  // Whether LoadBlobIndex should use the on-disk index for index files of these sizes.
  bool WantsDiskIndex(const std::vector<storage::FileInfo>& files) const;

  Repository(std::unique_ptr<storage::Backend> backend, MasterKey key, RepoConfig config)
      : backend_(std::move(backend)), key_(key), config_(std::move(config)) {}

  std::unique_ptr<storage::Backend> backend_;
  MasterKey key_;
  RepoConfig config_;
  MasterIndex index_;
  std::unique_ptr<DiskBlobIndex> disk_blobs_;
  IndexOptions index_options_;
  std::vector<Id> index_files_;
};

// The config JSON exactly as restic writes it.
std::string EncodeConfigJson(const RepoConfig& c);
core::Result<RepoConfig> ParseConfigJson(const std::string& json);

// Runs fn(i) for i in [0, n) on up to `threads` threads; returns the first error.
core::Status ParallelFor(size_t n, int threads, const std::function<core::Status(size_t)>& fn);

}  // namespace hasteward::repo
