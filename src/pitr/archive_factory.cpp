// The only place that asks which archive kind an engine keeps (CODING_STYLE.md: one factory per
// choice). Everything else holds a pitr::Archive.
#include "engine/archiving.h"
#include "engine/binlog_archiving.h"
#include "pitr/archive.h"
#include "pitr/binlog/binlog_kind.h"
#include "pitr/wal/wal_kind.h"

namespace hasteward::pitr {

core::Result<std::unique_ptr<Archive>> MakeArchive(engine::Engine& engine,
                                                   const std::string& what) {
  if (engine::BinlogArchiving* binlogs = engine.binlog_archiving(); binlogs != nullptr) {
    return std::unique_ptr<Archive>(std::make_unique<BinlogArchiveKind>(*binlogs));
  }
  if (engine::Archiving* archiving = engine.archiving(); archiving != nullptr) {
    return std::unique_ptr<Archive>(std::make_unique<WalArchiveKind>(engine, *archiving));
  }
  return engine::Unsupported(engine, what);
}

}  // namespace hasteward::pitr
