#include "catalog/wal/archive_segment_source.h"

#include "catalog/wal/archived_file_reader.h"
#include "catalog/wal/wal_catalog.h"

namespace hasteward::catalog {

namespace {

class ArchiveSource : public engine::WalSegmentSource {
 public:
  ArchiveSource(repo::Repository& repo, const platform::Cluster& cluster,
                engine::Archiving& archiving)
      : repo_(repo), cluster_(cluster), archiving_(archiving) {}

  std::string Name() const override { return "the WAL archive"; }

  core::Result<std::optional<std::string>> ReadSegment(const std::string& file_name) override {
    HS_ASSIGN_OR_RETURN(engine::ArchiveFile file, archiving_.ParseFileName(file_name));
    // Only the bucket holding this name is read (wal-fetch's load), not the whole index.
    HS_ASSIGN_OR_RETURN(WalCatalog catalog,
                        WalCatalog::LoadFiles(repo_, cluster_, archiving_, {file}));
    const ArchivedFile* archived = catalog.Find(file_name);
    if (archived == nullptr) {
      return std::optional<std::string>();
    }
    core::MemorySink sink;
    HS_TRY(DumpArchived(repo_, *archived, sink));
    return std::optional<std::string>(core::AsString(sink.data()));
  }

 private:
  repo::Repository& repo_;
  const platform::Cluster& cluster_;
  engine::Archiving& archiving_;
};

}  // namespace

std::unique_ptr<engine::WalSegmentSource> ArchiveSegmentSource(repo::Repository& repo,
                                                               const platform::Cluster& cluster,
                                                               engine::Archiving* archiving) {
  if (archiving == nullptr) {
    return nullptr;
  }
  return std::make_unique<ArchiveSource>(repo, cluster, *archiving);
}

}  // namespace hasteward::catalog
