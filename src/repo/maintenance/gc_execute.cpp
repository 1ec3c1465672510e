#include "repo/maintenance/gc_execute.h"

#include <atomic>
#include <unordered_set>

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

core::Status Repack(Repository& repo, const GcPlan& plan, const GcExecuteOptions& o,
                    GcResult* result) {
  std::vector<const PackDecision*> todo;
  for (const auto& d : plan.packs) {
    if (d.action == PackAction::kRepack)
      todo.push_back(&d);
  }
  if (todo.empty())
    return core::Status::Ok();
  PackerPool pool(repo, o.pack_size);
  HS_TRY(ParallelFor(todo.size(), o.threads,
                     [&](size_t i) { return RepackOne(repo, *todo[i], &pool); }));
  HS_TRY(pool.Flush());
  result->packs_written = pool.packs_saved();
  result->bytes_written = pool.bytes_stored();
  return core::Status::Ok();
}

// New index files for every pack that stays (kept packs and the new ones the repack added to the
// master index). The last file carries "supersedes", so a reader that honours it only ever sees
// it once every new file exists.
core::Status WriteIndex(Repository& repo, const GcPlan& plan, const GcExecuteOptions& o,
                        GcResult* result) {
  std::unordered_set<Id, IdHash> gone;
  for (const auto& d : plan.packs) {
    if (d.action != PackAction::kKeep)
      gone.insert(d.id);
  }
  std::vector<IndexFile> files(1);
  size_t blobs = 0;
  repo.index().ForEachPack([&](const Id& id, const std::vector<PackedBlob>& pack_blobs) {
    if (gone.count(id) != 0)
      return;
    if (blobs > 0 && blobs + pack_blobs.size() > o.max_index_blobs) {
      files.emplace_back();
      blobs = 0;
    }
    files.back().packs.emplace_back(id, pack_blobs);
    blobs += pack_blobs.size();
  });
  if (files.back().packs.empty())
    files.pop_back();  // nothing remains
  if (!files.empty())
    files.back().supersedes = repo.index_files();
  for (const auto& f : files) {
    HS_TRY(StillLocked(o));
    auto id = repo.SaveUnpacked(FileType::kIndex, EncodeIndexJson(f));
    if (!id.ok())
      return id.TakeStatus().Wrap("save new index");
    ++result->index_files_written;
    core::Failpoint("prune-after-index-save");
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<GcResult> ExecuteGc(Repository& repo, const GcPlan& plan, const GcExecuteOptions& o) {
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
  HS_TRY(Repack(repo, plan, o, &result));
  core::Failpoint("prune-after-repack");
  HS_TRY(WriteIndex(repo, plan, o, &result));
  HS_TRY(StillLocked(o));
  names.clear();
  for (const auto& id : repo.index_files())
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
