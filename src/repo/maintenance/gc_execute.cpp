#include "repo/maintenance/gc_execute.h"

#include <atomic>

#include "core/failpoint.h"
#include "repo/backup/packer_pool.h"

namespace hasteward::repo {

namespace {

using storage::FileType;
using storage::Handle;

core::Status StillLocked(const GcExecuteOptions& o) {
  return o.still_locked ? o.still_locked() : core::Status::Ok();
}

// Removes files in parallel; `fp` fires after each removal.
core::Status RemoveAll(Repository& repo, FileType type, const std::vector<std::string>& names,
                       int threads, const char* fp) {
  return ParallelFor(names.size(), threads, [&](size_t i) {
    core::Status s = repo.backend().Remove(Handle{type, names[i]});
    if (!s.ok())
      return s.Wrap("remove '" + std::string(storage::FileTypeDir(type)) + "/" + names[i] + "'");
    core::Failpoint(fp);
    return core::Status::Ok();
  });
}

core::Status RepackOne(Repository& repo, const PackDecision& d, PackerPool* pool) {
  core::Bytes pack;
  HS_TRY(repo.backend().Load(Handle{FileType::kPack, IdToHex(d.id)}, 0, 0, &pack));
  core::Bytes plain;
  for (const auto& b : d.copy) {
    if (uint64_t{b.offset} + b.length > pack.size()) {
      return core::Corruption("pack '" + IdToHex(d.id) + "' is shorter than its index says");
    }
    core::ByteView stored(pack.data() + b.offset, b.length);
    core::Status s = DecodeBlob(repo.key(), b, stored, &plain);
    if (!s.ok()) {
      return s.Wrap("repack pack '" + IdToHex(d.id) + "'")
          .WithHint("nothing was deleted; a used blob is damaged, run 'restic check --read-data'");
    }
    HS_TRY(pool->Add(b.id, b.type, stored, b.uncompressed_length));
  }
  return core::Status::Ok();
}

using SavedPacks = std::vector<std::pair<Id, std::vector<PackedBlob>>>;

core::Status Repack(Repository& repo, GcSource& source, const GcExecuteOptions& o, GcResult* result,
                    SavedPacks* saved) {
  PackerPool pool(repo, o.pack_size);
  HS_TRY(source.ForEachRepack([&](const std::vector<PackDecision>& batch) {
    return ParallelFor(batch.size(), o.threads,
                       [&](size_t i) { return RepackOne(repo, batch[i], &pool); });
  }));
  HS_TRY(pool.Flush());
  result->packs_written = pool.packs_saved();
  result->bytes_written = pool.bytes_stored();
  *saved = pool.TakeSavedPacks();
  return core::Status::Ok();
}

// Fills index files of at most max_index_blobs blobs (a pack is never split) and saves each full
// one as it goes, so only one is held at a time; the last (with "supersedes") is saved by Finish.
class IndexWriter {
 public:
  IndexWriter(Repository& repo, const GcExecuteOptions& o, GcResult* result)
      : repo_(repo), o_(o), result_(result) {}

  core::Status Add(const Id& pack, const std::vector<PackedBlob>& blobs) {
    if (blobs_ > 0 && blobs_ + blobs.size() > o_.max_index_blobs) {
      HS_TRY(Save());
    }
    file_.packs.emplace_back(pack, blobs);
    blobs_ += blobs.size();
    return core::Status::Ok();
  }
  core::Status Finish(const std::vector<Id>& supersedes) {
    if (file_.packs.empty()) {
      return core::Status::Ok();  // nothing remains
    }
    file_.supersedes = supersedes;
    return Save();
  }

 private:
  core::Status Save() {
    HS_TRY(StillLocked(o_));
    auto id = repo_.SaveUnpacked(FileType::kIndex, EncodeIndexJson(file_));
    if (!id.ok())
      return id.TakeStatus().Wrap("save new index");
    ++result_->index_files_written;
    core::Failpoint("prune-after-index-save");
    file_ = IndexFile{};
    blobs_ = 0;
    return core::Status::Ok();
  }

  Repository& repo_;
  const GcExecuteOptions& o_;
  GcResult* result_;
  IndexFile file_;
  size_t blobs_ = 0;
};

// New index files for every pack that stays: the kept packs and the new ones the repack wrote.
// The last file carries "supersedes", so a reader that honours it only ever sees it once every
// new file exists.
core::Status WriteIndex(Repository& repo, GcSource& source, const SavedPacks& saved,
                        const GcExecuteOptions& o, GcResult* result) {
  IndexWriter writer(repo, o, result);
  core::Status added = core::Status::Ok();
  HS_TRY(source.ForEachKept([&](const Id& pack, const std::vector<PackedBlob>& blobs) {
    if (added.ok())
      added = writer.Add(pack, blobs);
  }));
  HS_TRY(added);
  for (const auto& [pack, blobs] : saved)
    HS_TRY(writer.Add(pack, blobs));
  return writer.Finish(source.IndexFiles());
}

class InMemorySource : public GcSource {
 public:
  InMemorySource(Repository& repo, const GcPlan& plan) : repo_(repo), plan_(plan) {}
  core::Status ForEachRepack(const RepackBatch& repack) override {
    std::vector<PackDecision> todo;
    for (const auto& d : plan_.packs) {
      if (d.action == PackAction::kRepack)
        todo.push_back(d);
    }
    return todo.empty() ? core::Status::Ok() : repack(todo);
  }
  core::Status ForEachKept(const KeptPack& keep) override {
    for (const auto& d : plan_.packs) {
      const std::vector<PackedBlob>* blobs = repo_.index().PackBlobs(d.id);
      if (d.action == PackAction::kKeep && blobs != nullptr)
        keep(d.id, *blobs);
    }
    return core::Status::Ok();
  }
  const std::vector<Id>& IndexFiles() const override { return repo_.index_files(); }

 private:
  Repository& repo_;
  const GcPlan& plan_;
};

}  // namespace

std::unique_ptr<GcSource> MemoryGcSource(Repository& repo, const GcPlan& plan) {
  return std::make_unique<InMemorySource>(repo, plan);
}

core::Result<GcResult> ExecuteGc(Repository& repo, const GcPlan& plan, GcSource& source,
                                 const GcExecuteOptions& o) {
  GcResult result;
  std::vector<std::string> names;
  for (const auto& f : plan.unreferenced) {
    names.push_back(f.name);
    result.bytes_deleted += f.size;
  }
  HS_TRY(StillLocked(o));
  HS_TRY(RemoveAll(repo, FileType::kPack, names, o.threads, "prune-after-unreferenced-delete"));
  result.packs_deleted = names.size();
  if (!plan.RewritesIndex())
    return result;
  HS_TRY(StillLocked(o));
  core::Failpoint("prune-before-repack");
  SavedPacks saved;
  HS_TRY(Repack(repo, source, o, &result, &saved));
  core::Failpoint("prune-after-repack");
  HS_TRY(WriteIndex(repo, source, saved, o, &result));
  HS_TRY(StillLocked(o));
  names.clear();
  for (const auto& id : source.IndexFiles())
    names.push_back(IdToHex(id));
  HS_TRY(RemoveAll(repo, FileType::kIndex, names, o.threads, "prune-after-index-delete"));
  result.index_files_removed = names.size();
  names.clear();
  for (const auto& d : plan.packs) {
    if (d.action == PackAction::kRemove || d.action == PackAction::kRepack) {
      names.push_back(IdToHex(d.id));
      result.bytes_deleted += d.size;
    }
  }
  HS_TRY(RemoveAll(repo, FileType::kPack, names, o.threads, "prune-after-pack-delete"));
  result.packs_deleted += names.size();
  return result;
}

}  // namespace hasteward::repo
