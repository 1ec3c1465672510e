// repo/maintenance/gc_disk_plan: prune's marking and garbage-collection planning over the on-disk
// index (disk_index.h), for repositories whose index would not fit a bounded working set
// (docs/prune.md, "A large repository"). What the in-memory path holds per blob is here a bit
// per blob number of the on-disk index (used, claimed): 10 M blobs cost 2.5 MiB; numbers are found
// by reading the file (disk_index_ordinals.h), which leaves no mapped pages resident. What it holds
// per pack (its blob list) is read again from the index files, one file at a time, whenever a
// step needs it: accounting, repacking, writing the new index. Per pack it keeps one
// PackDecision and its number. The decisions are those PlanGc makes on the same repository
// (gc_plan_steps.h is shared; tests/repo/maintenance/prune_disk_index_test.cpp compares them).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "repo/index/disk_index.h"
#include "repo/index/disk_index_ordinals.h"
#include "repo/maintenance/gc_execute.h"
#include "repo/maintenance/gc_mark.h"
#include "repo/maintenance/gc_plan.h"
#include "repo/repository.h"

namespace hasteward::repo {

// One bit per blob number of the on-disk index. Not thread-safe.
class BlobBits {
 public:
  explicit BlobBits(uint64_t count = 0) : words_((count + 63) / 64, 0) {}
  bool Test(uint64_t i) const { return ((words_[i / 64] >> (i % 64)) & 1U) != 0; }
  // Sets bit i; returns whether it was set already.
  bool Set(uint64_t i) {
    const uint64_t bit = uint64_t{1} << (i % 64);
    const bool was = (words_[i / 64] & bit) != 0;
    words_[i / 64] |= bit;
    return was;
  }
  void Reset() { std::fill(words_.begin(), words_.end(), 0); }
  // How many bits are set here and not in `other` (same size); *first is the lowest of them.
  uint64_t CountAndNot(const BlobBits& other, uint64_t* first) const;

 private:
  std::vector<uint64_t> words_;
};

// A prune's garbage collection over the on-disk index: Open, Mark, Plan, then ExecuteGc with
// Source(plan). The index files are read in the order given to Open, which must be the order
// LoadIndex reads them (Repository::ListFiles), so that packs are numbered, and ties broken,
// as PlanGc numbers and breaks them.
class DiskGc {
 public:
  // Opens the on-disk index of exactly these index files from the repository's cache directory,
  // building it when the cache has none (a cached file that lacks newer index files is not
  // reused: prune must know every blob). Errors: the build's (an unreadable index file, kStorage
  // for the cache).
  static core::Result<std::unique_ptr<DiskGc>> Open(Repository& repo, std::vector<Id> index_files);

  // Trees walked at once by Mark.
  static constexpr int kMarkThreads = 2;

  uint64_t BlobCount() const { return ordinals_->count(); }
  const std::vector<Id>& index_files() const { return index_files_; }
  // The index file the blob numbers come from (for tests and messages).
  const DiskIndex& disk() const { return *disk_; }

  // Marks what `snapshots` use (MarkUsed), trees loaded through repo.LoadBlob: the caller has
  // loaded the repository's blob index (LoadBlobIndex).
  core::Status Mark(Repository& repo, const std::vector<Snapshot>& snapshots, int threads);
  // PlanGc's decisions for the marked blobs, with empty copy lists (Source fills them when
  // repacking). Errors as PlanGc's, and kCorruption when an index file lists a blob the
  // on-disk index does not (an index file changed while pruning).
  core::Result<GcPlan> Plan(const std::vector<storage::FileInfo>& pack_files,
                            const GcPlanOptions& options);
  // What ExecuteGc reads for `plan` (made by Plan; both must outlive the source).
  std::unique_ptr<GcSource> Source(const GcPlan& plan);

 private:
  struct PackMeta {
    bool exists = false;
    bool eligible = false;  // exists with the size the index implies
    size_t hits = 0;        // used blobs listed, before deduplication
    size_t blobs = 0;
  };
  using PackFn = std::function<core::Status(uint32_t number, const Id& pack,
                                            const std::vector<PackedBlob>& blobs)>;
  friend class DiskGcSource;
  friend class DiskMarks;

  DiskGc(Repository& repo, std::vector<Id> index_files)
      : repo_(repo), index_files_(std::move(index_files)) {}
  // Calls fn for the first listing of every pack (numbered in order of first listing), index
  // file by index file, and file_done after each file.
  core::Status ForEachPack(const PackFn& fn, const std::function<core::Status()>& file_done = {});
  core::Result<std::vector<uint64_t>> Ordinals(const std::vector<PackedBlob>& blobs) const;
  // Whether blob `ordinal` is counted used in pack `number` (claiming it when so).
  bool CountsIn(uint64_t ordinal, uint32_t number);
  bool ClaimedBy(uint64_t ordinal, uint32_t number) const;
  PackDecision Account(uint32_t number, const Id& id, const std::vector<PackedBlob>& blobs,
                       const std::vector<uint64_t>& ordinals, bool eligible);
  core::Status AccountAll(const std::unordered_map<Id, uint64_t, IdHash>& sizes, GcPlan* plan,
                          std::vector<PackMeta>* metas, std::unordered_set<uint64_t>* multi);
  core::Status ResolveClaims(const std::vector<PackMeta>& metas,
                             const std::unordered_set<uint64_t>& multi);

  Repository& repo_;
  std::vector<Id> index_files_;
  std::unique_ptr<DiskIndex> disk_;
  std::unique_ptr<DiskIndexOrdinals> ordinals_;
  std::mutex mu_;  // guards used_ while marking
  BlobBits used_;
  BlobBits claimed_;  // used blobs counted in some pack
  // Used blobs listed more than once: the pack that counts them (AssignmentOrder's first intact
  // one). Empty unless the repository stores a blob twice (an interrupted repack, a race).
  std::unordered_map<uint64_t, uint32_t> claimant_;
  std::unordered_map<Id, uint32_t, IdHash> pack_numbers_;
};

}  // namespace hasteward::repo
