// catalog/postgres: WAL segment names (catalog/wal_names.h), through the engine's Archiving.
#include "catalog/wal_names.h"

namespace hasteward::catalog {

std::optional<WalSegment> WalNames::Segment(uint32_t timeline, uint64_t segment) const {
  if (archiving_ == nullptr) {
    return std::nullopt;  // an engine without a WAL archive: no segments
  }
  return WalSegment{timeline, segment, archiving_->SegmentFileName(timeline, segment)};
}

std::optional<WalSegment> WalNames::SegmentHolding(const WalPosition& position) const {
  if (archiving_ == nullptr) {
    return std::nullopt;
  }
  return Segment(position.timeline, position.lsn / archiving_->SegmentBytes());
}

std::optional<WalSegment> WalNames::SegmentEndingAt(const WalPosition& position) const {
  if (archiving_ == nullptr || position.lsn == 0) {
    return std::nullopt;
  }
  return Segment(position.timeline, (position.lsn - 1) / archiving_->SegmentBytes());
}

std::optional<WalSegment> WalNames::ParseSegmentFile(const std::string& name) const {
  if (archiving_ == nullptr) {
    return std::nullopt;
  }
  auto file = archiving_->ParseFileName(name);
  if (!file.ok() || (file->kind != engine::ArchiveFileKind::kSegment &&
                     file->kind != engine::ArchiveFileKind::kPartial)) {
    return std::nullopt;
  }
  return WalSegment{file->timeline, file->segment, file->name};
}

std::optional<int> WalNames::CompareSegmentFiles(const std::string& a, const std::string& b) const {
  if (archiving_ == nullptr) {
    return std::nullopt;
  }
  auto left = archiving_->ParseFileName(a);
  auto right = archiving_->ParseFileName(b);
  if (!left.ok() || !right.ok()) {
    return std::nullopt;
  }
  if (left->timeline != right->timeline) {
    return left->timeline < right->timeline ? -1 : 1;
  }
  if (left->segment != right->segment) {
    return left->segment < right->segment ? -1 : 1;
  }
  return 0;
}

}  // namespace hasteward::catalog
