#include "engine/postgres/wal_names.h"

#include <cstdio>

namespace hasteward::engine::postgres {

namespace {

constexpr uint64_t kSegmentsPerLogId = (uint64_t{1} << 32) / kWalSegmentBytes;
constexpr size_t kSegmentNameLength = 24;
constexpr size_t kTimelineLength = 8;

bool IsUpperHex(const std::string& text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return !text.empty();
}

uint64_t Hex(const std::string& text) {
  return std::stoull(text, nullptr, 16);
}

core::Status BadName(const std::string& name) {
  return core::Usage("'" + name + "' is not a PostgreSQL WAL, partial, history or backup file name",
                     "pass the file the server names in archive_command's %p / %f");
}

}  // namespace

core::Result<ArchiveFile> ParseWalFileName(const std::string& name) {
  ArchiveFile file;
  file.name = name;
  std::string stem = name.substr(0, name.find('.'));
  std::string suffix = stem.size() < name.size() ? name.substr(stem.size()) : "";
  if (suffix == ".history" && stem.size() == kTimelineLength && IsUpperHex(stem)) {
    file.kind = ArchiveFileKind::kHistory;
    file.timeline = static_cast<uint32_t>(Hex(stem));
    return file;
  }
  if (stem.size() != kSegmentNameLength || !IsUpperHex(stem)) {
    return BadName(name);
  }
  uint64_t log_id = Hex(stem.substr(8, 8));
  uint64_t in_log = Hex(stem.substr(16, 8));
  if (in_log >= kSegmentsPerLogId) {
    return BadName(name);
  }
  file.timeline = static_cast<uint32_t>(Hex(stem.substr(0, 8)));
  file.segment = log_id * kSegmentsPerLogId + in_log;
  if (suffix.empty()) {
    file.kind = ArchiveFileKind::kSegment;
  } else if (suffix == ".partial") {
    file.kind = ArchiveFileKind::kPartial;
  } else if (suffix.size() == 1 + 8 + 7 && suffix.ends_with(".backup") &&
             IsUpperHex(suffix.substr(1, 8))) {
    file.kind = ArchiveFileKind::kBackupLabel;
  } else {
    return BadName(name);
  }
  return file;
}

std::string WalSegmentFileName(uint32_t timeline, uint64_t segment) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08X%08X%08X", timeline,
                static_cast<uint32_t>(segment / kSegmentsPerLogId),
                static_cast<uint32_t>(segment % kSegmentsPerLogId));
  return buf;
}

std::string WalHistoryFileName(uint32_t timeline) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08X.history", timeline);
  return buf;
}

}  // namespace hasteward::engine::postgres
