#include "catalog/wal/archived_file_reader.h"

#include "repo/restore/file_dumper.h"

namespace hasteward::catalog {

namespace {

// The blob at its recorded position, verified (DecodeBlob checks SHA-256 against the ID).
core::Result<core::Bytes> LoadAt(repo::Repository& repo, const IndexedBlob& blob) {
  core::Bytes stored;
  HS_TRY(repo.backend().Load(storage::Handle{storage::FileType::kPack, repo::IdToHex(blob.pack)},
                             blob.offset, blob.length, &stored));
  repo::PackedBlob packed{blob.id, repo::BlobType::kData, 0, blob.length, blob.uncompressed_length};
  core::Bytes plain;
  HS_TRY(repo::DecodeBlob(repo.key(), packed, stored, &plain));
  return plain;
}

// Through the pack index, loaded on first need: the recorded position was stale.
core::Result<core::Bytes> LoadThroughIndex(repo::Repository& repo, const repo::Id& id) {
  if (!repo.blobs().Has(id, repo::BlobType::kData)) {
    HS_TRY(repo.LoadIndex());
  }
  auto plain = repo.LoadBlob(id, repo::BlobType::kData);
  if (!plain.ok() && plain.status().code() == core::ErrorCode::kNotFound) {
    return core::Status(core::ErrorCode::kCorruption,
                        "archived data blob '" + repo::IdToHex(id) + "' is in no pack",
                        "the archive index may name a snapshot prune removed: remove this "
                        "cluster's hasteward/archive-index/ files so it is rebuilt, then retry");
  }
  return plain;
}

}  // namespace

core::Status DumpArchived(repo::Repository& repo, const ArchivedFile& archived,
                          core::ByteSink& sink) {
  if (archived.locations.size() != archived.node.content.size()) {
    if (repo.blobs().BlobCount() == 0) {
      HS_TRY(repo.LoadIndex());
    }
    return repo::DumpFile(repo, archived.node, sink, {}).status();
  }
  for (const IndexedBlob& blob : archived.locations) {
    auto plain = LoadAt(repo, blob);
    if (!plain.ok()) {
      plain = LoadThroughIndex(repo, blob.id);
    }
    if (!plain.ok()) {
      return plain.TakeStatus().Wrap("read the archived '" + archived.file.name + "'");
    }
    HS_TRY(sink.Write(*plain));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::catalog
