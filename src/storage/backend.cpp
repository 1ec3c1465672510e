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
  }
  return "";
}

}  // namespace hasteward::storage
