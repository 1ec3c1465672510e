// Placeholder, replaced by h-walref's: conservative (every block may have changed), so an
// incremental backup built on it reads every page.
#include "engine/postgres/wal_block_refs.h"

#include <charconv>

namespace hasteward::engine::postgres {

std::optional<RelationFile> RelationFileOf(std::string_view relative_path) {
  (void)relative_path;
  return std::nullopt;
}

void ChangedBlocks::Add(const RelationFork& fork, uint32_t block) {
  (void)fork;
  (void)block;
  ++count_;
}
void ChangedBlocks::MarkWhole(const RelationFork& fork) {
  (void)fork;
}
void ChangedBlocks::MarkRelationWhole(uint32_t tablespace, uint32_t database,
                                      uint32_t relfilenode) {
  (void)tablespace;
  (void)database;
  (void)relfilenode;
}
void ChangedBlocks::MarkDatabaseWhole(uint32_t tablespace, uint32_t database) {
  (void)tablespace;
  (void)database;
}
bool ChangedBlocks::MayHaveChanged(const RelationFork& fork, uint32_t block) const {
  (void)fork;
  (void)block;
  return true;
}
size_t ChangedBlocks::BlockCount() const {
  return count_;
}

WalBlockReferenceReader::WalBlockReferenceReader(uint64_t from_lsn, uint64_t to_lsn)
    : from_lsn_(from_lsn), to_lsn_(to_lsn), next_lsn_(from_lsn) {}

core::Status WalBlockReferenceReader::AddSegment(uint64_t segment_start_lsn,
                                                 std::string_view bytes) {
  if (segment_start_lsn > next_lsn_) {
    return core::Status(core::ErrorCode::kCorruption, "a gap in the WAL");
  }
  next_lsn_ = segment_start_lsn + bytes.size();
  return core::Status::Ok();
}
bool WalBlockReferenceReader::Covered() const {
  return next_lsn_ >= to_lsn_ && from_lsn_ <= to_lsn_;
}
const ChangedBlocks& WalBlockReferenceReader::Blocks() const {
  return blocks_;
}
uint64_t WalBlockReferenceReader::RecordCount() const {
  return 0;
}

}  // namespace hasteward::engine::postgres
