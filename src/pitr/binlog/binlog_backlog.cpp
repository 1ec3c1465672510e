#include "pitr/binlog/binlog_backlog.h"

#include <optional>

namespace hasteward::pitr {

namespace {

// Where the archive of `writer`'s file `name` ends, nullopt when no file of that name from that
// instance is archived. A server whose numbering started again reuses names: the newest wins.
std::optional<uint64_t> ArchivedEnd(const catalog::BinlogCatalog& catalog,
                                    const std::string& writer, const std::string& name) {
  std::optional<uint64_t> end;
  uint32_t created = 0;
  for (const auto& [key, file] : catalog.files()) {
    if (file.identity.instance == writer && file.identity.file == name &&
        (!end || file.identity.created >= created)) {
      created = file.identity.created;
      end = file.End();
    }
  }
  return end;
}

}  // namespace

BinlogBacklog BacklogOf(const std::string& writer, const std::vector<engine::BinlogFileInfo>& files,
                        const catalog::BinlogCatalog& catalog) {
  BinlogBacklog backlog;
  backlog.writer = writer;
  // The newest listed file the archive knows: files before it were archived or skipped (their
  // transactions held already), files after it are new since the last successful cycle.
  size_t first = 0;
  std::optional<uint64_t> known_end;
  for (size_t i = 0; i < files.size(); ++i) {
    if (auto end = ArchivedEnd(catalog, writer, files[i].name)) {
      first = i;
      known_end = end;
    }
  }
  for (size_t i = first; i < files.size(); ++i) {
    const uint64_t archived = (i == first && known_end) ? *known_end : 0;
    if (files[i].size > archived) {
      ++backlog.files_behind;
      backlog.bytes_behind += files[i].size - archived;
    }
  }
  return backlog;
}

core::Result<BinlogBacklog> MeasureBinlogBacklog(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 engine::BinlogArchiving& binlogs,
                                                 const catalog::BinlogCatalog& catalog) {
  HS_ASSIGN_OR_RETURN(engine::BinlogWriter writer,
                      binlogs.FindWriter(platform, cluster, catalog.last_instance()));
  HS_ASSIGN_OR_RETURN(auto files, binlogs.ListFiles(platform, cluster, writer));
  return BacklogOf(writer.instance.name, files, catalog);
}

}  // namespace hasteward::pitr
