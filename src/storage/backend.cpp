#include "storage/backend.h"

namespace hasteward::storage {

const char* FileTypeDir(FileType t) {
  switch (t) {
    case FileType::kConfig: return "";
    case FileType::kKey: return "keys";
    case FileType::kSnapshot: return "snapshots";
    case FileType::kIndex: return "index";
    case FileType::kPack: return "data";
    case FileType::kLock: return "locks";
    case FileType::kStandbyCursor: return "hasteward/standby-cursors";
    case FileType::kArchiveIndex: return "hasteward/archive-index";
    case FileType::kArchiveBucket: return "hasteward/archive-buckets";
    case FileType::kWalStream: return "hasteward/wal-stream";
  }
  return "";
}

bool IsRetainedType(FileType t) {
  return t == FileType::kConfig || t == FileType::kKey || t == FileType::kSnapshot ||
         t == FileType::kPack;
}

core::Status DeleteRefused(const std::string& what) {
  return core::Status(core::ErrorCode::kStorage,
                      what + ": the storage refuses deletes with these credentials",
                      kDeleteRefusedHint);
}

bool IsDeleteRefused(const core::Status& status) {
  return status.code() == core::ErrorCode::kStorage && status.hint() == kDeleteRefusedHint;
}

namespace {

bool IsHex(const std::string& name) {
  return name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool IsCursorName(const std::string& name) {
  constexpr std::string_view kSuffix = ".json";
  if (name.size() <= kSuffix.size() || name.size() > 63 + kSuffix.size() ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return false;
  }
  const std::string stem = name.substr(0, name.size() - kSuffix.size());
  return stem.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") == std::string::npos &&
         stem.front() != '.' && stem.front() != '-';
}

// "<stem><suffix>" with a stem of lowercase letters, digits and '-': safe in every backend's path,
// and never an interrupted write's temp file ("<name>.tmp-<random>").
bool IsStemName(const std::string& name, std::string_view suffix) {
  if (name.size() <= suffix.size() || name.size() > 128 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  const std::string stem = name.substr(0, name.size() - suffix.size());
  return stem.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos &&
         stem.front() != '-';
}

}  // namespace

bool IsValidName(FileType t, const std::string& name) {
  if (t == FileType::kConfig) {
    return true;
  }
  switch (t) {
    case FileType::kStandbyCursor: return IsCursorName(name);
    case FileType::kArchiveIndex:
    case FileType::kArchiveBucket: return IsStemName(name, ".idx");
    case FileType::kWalStream: return IsStemName(name, ".piece");
    default: return IsHex(name);
  }
}

}  // namespace hasteward::storage
