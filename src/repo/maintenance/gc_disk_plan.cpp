#include "repo/maintenance/gc_disk_plan.h"

#include <algorithm>
#include <bit>

#include "repo/maintenance/gc_plan_steps.h"

namespace hasteward::repo {

uint64_t BlobBits::CountAndNot(const BlobBits& other, uint64_t* first) const {
  uint64_t count = 0;
  for (size_t w = 0; w < words_.size(); ++w) {
    const uint64_t bits = words_[w] & ~other.words_[w];
    if (bits != 0 && count == 0) {
      *first = w * 64 + static_cast<uint64_t>(std::countr_zero(bits));
    }
    count += static_cast<uint64_t>(std::popcount(bits));
  }
  return count;
}

// MarkUsed's marks as bits: the lookup outside the lock, the bit under it.
class DiskMarks : public UsedMarks {
 public:
  explicit DiskMarks(DiskGc* gc) : gc_(gc) {}
  core::Result<Mark> Use(const Id& blob_id, BlobType type) override {
    HS_ASSIGN_OR_RETURN(std::optional<uint64_t> ordinal, gc_->ordinals_->Find(blob_id, type));
    if (!ordinal) {
      return Mark::kMissing;
    }
    std::lock_guard<std::mutex> lock(gc_->mu_);
    return gc_->used_.Set(*ordinal) ? Mark::kSeen : Mark::kNew;
  }

 private:
  DiskGc* gc_;
};

// ExecuteGc's reads, from the index files again: repacked packs' copy lists one index file at a
// time (one batch each), then the kept packs.
class DiskGcSource : public GcSource {
 public:
  DiskGcSource(DiskGc* gc, const GcPlan& plan) : gc_(gc), plan_(plan) {}

  core::Status ForEachRepack(const RepackBatch& repack) override {
    BlobBits copied(gc_->BlobCount());  // a blob listed twice in one pack is copied once
    std::vector<PackDecision> batch;
    auto add = [&](uint32_t number, const Id&, const std::vector<PackedBlob>& blobs) {
      if (plan_.packs[number].action != PackAction::kRepack) {
        return core::Status::Ok();
      }
      HS_ASSIGN_OR_RETURN(std::vector<uint64_t> ordinals, gc_->Ordinals(blobs));
      PackDecision d = plan_.packs[number];
      for (size_t i = 0; i < blobs.size(); ++i) {
        const uint64_t o = ordinals[i];
        if (gc_->claimed_.Test(o) && gc_->ClaimedBy(o, number) && !copied.Set(o)) {
          d.copy.push_back(blobs[i]);
        }
      }
      batch.push_back(std::move(d));
      return core::Status::Ok();
    };
    auto flush = [&] {
      core::Status s = batch.empty() ? core::Status::Ok() : repack(batch);
      batch.clear();
      return s;
    };
    return gc_->ForEachPack(add, flush);
  }

  core::Status ForEachKept(const KeptPack& keep) override {
    return gc_->ForEachPack(
        [&](uint32_t number, const Id& id, const std::vector<PackedBlob>& blobs) {
          if (plan_.packs[number].action == PackAction::kKeep) {
            keep(id, blobs);
          }
          return core::Status::Ok();
        });
  }

  const std::vector<Id>& IndexFiles() const override { return gc_->index_files_; }

 private:
  DiskGc* gc_;
  const GcPlan& plan_;
};

core::Result<std::unique_ptr<DiskGc>> DiskGc::Open(Repository& repo, std::vector<Id> index_files) {
  std::unique_ptr<DiskGc> gc(new DiskGc(repo, std::move(index_files)));
  DiskIndexOpenOptions options;
  options.dir = repo.index_options().cache_dir;
  options.build = repo.index_options().build;
  options.max_missing_files = 0;
  auto load = [&repo](const Id& id) -> core::Result<IndexFile> {
    HS_ASSIGN_OR_RETURN(std::string json, repo.LoadUnpacked(storage::FileType::kIndex, id));
    auto idx = ParseIndexJson(json);
    if (!idx.ok())
      return idx.TakeStatus().Wrap("index '" + IdToHex(id) + "'");
    return idx;
  };
  HS_ASSIGN_OR_RETURN(gc->disk_, DiskIndex::Open(gc->index_files_, load, options));
  HS_ASSIGN_OR_RETURN(gc->ordinals_, DiskIndexOrdinals::Open(*gc->disk_));
  gc->used_ = BlobBits(gc->ordinals_->count());
  gc->claimed_ = BlobBits(gc->ordinals_->count());
  return gc;
}

core::Status DiskGc::Mark(Repository& repo, const std::vector<Snapshot>& snapshots, int threads) {
  DiskMarks marks(this);
  // Each walking thread holds one tree blob, its text and its parsed nodes (a directory of 1,000
  // files of 100 chunks: ~7 MiB of JSON, several times that parsed); two keep that bounded, and
  // the lookups are pread calls that two cores serve as well as eight.
  return MarkUsed(repo, snapshots, std::min(threads, kMarkThreads), &marks);
}

core::Status DiskGc::ForEachPack(const PackFn& fn, const std::function<core::Status()>& file_done) {
  std::vector<bool> visited(pack_numbers_.size(), false);
  for (const Id& file : index_files_) {
    HS_ASSIGN_OR_RETURN(std::string json, repo_.LoadUnpacked(storage::FileType::kIndex, file));
    auto idx = ParseIndexJson(json);
    if (!idx.ok()) {
      return idx.TakeStatus().Wrap("index '" + IdToHex(file) + "'");
    }
    json = std::string();  // one parsed file at a time, not its text beside it
    for (const auto& [pack, blobs] : idx->packs) {
      auto [it, added] = pack_numbers_.emplace(pack, static_cast<uint32_t>(pack_numbers_.size()));
      if (added) {
        visited.push_back(false);
      }
      if (visited[it->second]) {
        continue;  // listed by an earlier index file: its first listing counts, as in MasterIndex
      }
      visited[it->second] = true;
      HS_TRY(fn(it->second, pack, blobs));
    }
    if (file_done) {
      HS_TRY(file_done());
    }
  }
  return core::Status::Ok();
}

core::Result<std::vector<uint64_t>> DiskGc::Ordinals(const std::vector<PackedBlob>& blobs) const {
  std::vector<uint64_t> ordinals;
  ordinals.reserve(blobs.size());
  for (const auto& b : blobs) {
    HS_ASSIGN_OR_RETURN(std::optional<uint64_t> ordinal, ordinals_->Find(b.id, b.type));
    if (!ordinal) {
      return core::Corruption(std::string(BlobTypeName(b.type)) + " blob '" + IdToHex(b.id) +
                              "' is in an index file but not in the on-disk index built from it")
          .WithHint("nothing was deleted; the index files changed while pruning, run prune again");
    }
    ordinals.push_back(*ordinal);
  }
  return ordinals;
}

bool DiskGc::ClaimedBy(uint64_t ordinal, uint32_t number) const {
  auto it = claimant_.find(ordinal);
  return it == claimant_.end() || it->second == number;
}

bool DiskGc::CountsIn(uint64_t ordinal, uint32_t number) {
  return used_.Test(ordinal) && ClaimedBy(ordinal, number) && !claimed_.Set(ordinal);
}

PackDecision DiskGc::Account(uint32_t number, const Id& id, const std::vector<PackedBlob>& blobs,
                             const std::vector<uint64_t>& ordinals, bool eligible) {
  PackDecision d;
  d.id = id;
  d.size = PackSizeFromBlobs(blobs);
  d.used_bytes = d.size;
  for (const auto& b : blobs) {
    d.used_bytes -= b.length;  // the header's bytes, as PlanGc counts them
  }
  for (size_t i = 0; i < blobs.size(); ++i) {
    (blobs[i].type == BlobType::kTree ? d.has_tree : d.has_data) = true;
    if (eligible && CountsIn(ordinals[i], number)) {
      ++d.used_blobs;
      d.used_bytes += blobs[i].length;
      d.copy_bytes += blobs[i].length;
    } else {
      ++d.unused_blobs;
      d.unused_bytes += blobs[i].length;
    }
  }
  return d;
}

// Every pack's accounting, in index order. Without claims, a used blob counts in the first pack
// that lists it; `multi` collects the used blobs listed more than once, for ResolveClaims.
core::Status DiskGc::AccountAll(const std::unordered_map<Id, uint64_t, IdHash>& sizes, GcPlan* plan,
                                std::vector<PackMeta>* metas, std::unordered_set<uint64_t>* multi) {
  claimed_.Reset();
  BlobBits seen(BlobCount());
  return ForEachPack([&](uint32_t number, const Id& id, const std::vector<PackedBlob>& blobs) {
    HS_ASSIGN_OR_RETURN(std::vector<uint64_t> ordinals, Ordinals(blobs));
    if (metas->size() <= number) {
      metas->resize(number + 1);
      plan->packs.resize(number + 1);
    }
    PackMeta& m = (*metas)[number];
    auto it = sizes.find(id);
    m.exists = it != sizes.end();
    m.eligible = m.exists && it->second == PackSizeFromBlobs(blobs) && !blobs.empty();
    m.blobs = blobs.size();
    m.hits = 0;
    for (uint64_t o : ordinals) {
      if (used_.Test(o)) {
        ++m.hits;
        if (seen.Set(o)) {
          multi->insert(o);
        }
      }
    }
    plan->packs[number] = Account(number, id, blobs, ordinals, m.eligible);
    return core::Status::Ok();
  });
}

// For each used blob listed more than once, the pack that counts it: the first intact one in
// AssignmentOrder, as PlanGc's Account loop decides.
core::Status DiskGc::ResolveClaims(const std::vector<PackMeta>& metas,
                                   const std::unordered_set<uint64_t>& multi) {
  std::vector<PackFill> fill;
  fill.reserve(metas.size());
  for (const auto& m : metas) {
    fill.push_back({m.hits, m.blobs});
  }
  std::vector<size_t> order = AssignmentOrder(fill);
  std::vector<size_t> rank(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    rank[order[k]] = k;
  }
  claimant_.clear();
  return ForEachPack([&](uint32_t number, const Id&, const std::vector<PackedBlob>& blobs) {
    if (!metas[number].eligible) {
      return core::Status::Ok();
    }
    HS_ASSIGN_OR_RETURN(std::vector<uint64_t> ordinals, Ordinals(blobs));
    for (uint64_t o : ordinals) {
      if (multi.count(o) == 0) {
        continue;
      }
      auto [it, added] = claimant_.emplace(o, number);
      if (!added && rank[number] < rank[it->second]) {
        it->second = number;
      }
    }
    return core::Status::Ok();
  });
}

core::Result<GcPlan> DiskGc::Plan(const std::vector<storage::FileInfo>& pack_files,
                                  const GcPlanOptions& options) {
  std::unordered_map<Id, uint64_t, IdHash> sizes;
  for (const auto& f : pack_files) {
    if (auto id = IdFromHex(f.name); id.ok()) {
      sizes.emplace(*id, f.size);  // a file that is not a pack name is never ours to delete
    }
  }
  GcPlan plan;
  std::vector<PackMeta> metas;
  std::unordered_set<uint64_t> multi;
  claimant_.clear();
  HS_TRY(AccountAll(sizes, &plan, &metas, &multi));
  if (!multi.empty()) {
    // Rare (a blob stored twice): which copy counts depends on every pack's fill, known only now.
    HS_TRY(ResolveClaims(metas, multi));
    std::unordered_set<uint64_t> again;
    HS_TRY(AccountAll(sizes, &plan, &metas, &again));
  }
  uint64_t first = 0;
  if (uint64_t unclaimed = used_.CountAndNot(claimed_, &first); unclaimed > 0) {
    HS_ASSIGN_OR_RETURN(auto blob, ordinals_->BlobAt(first));
    return UnclaimedBlobs(unclaimed, blob.second, blob.first);
  }
  for (const auto& f : pack_files) {
    auto id = IdFromHex(f.name);
    if (id.ok() && pack_numbers_.count(*id) == 0)
      plan.unreferenced.push_back(f);
  }
  std::vector<bool> exists;
  exists.reserve(metas.size());
  size_t hits = 0;
  for (const auto& m : metas) {
    exists.push_back(m.exists);
    hits += m.eligible ? m.hits : 0;
  }
  DecidePacks(&plan, exists, options);
  plan.stats.duplicate_blobs = hits - plan.stats.used_blobs;
  return plan;
}

std::unique_ptr<GcSource> DiskGc::Source(const GcPlan& plan) {
  return std::make_unique<DiskGcSource>(this, plan);
}

}  // namespace hasteward::repo
