#include "operator/backup_method.h"

namespace hasteward::op {

core::Result<BackupMethod> ParseBackupMethod(std::string_view text, const std::string& where) {
  if (text.empty())
    return BackupMethod::kUnset;
  if (text == "dump")
    return BackupMethod::kDump;
  if (text == "native")
    return BackupMethod::kNative;
  return core::Usage(where + ": backup method '" + std::string(text) + "' is not dump or native",
                     "dump takes a logical dump; native the engine's physical backup");
}

const char* BackupMethodName(BackupMethod method) {
  switch (method) {
    case BackupMethod::kUnset: return "";
    case BackupMethod::kDump: return "dump";
    case BackupMethod::kNative: return "native";
  }
  return "";
}

BackupMethod BackupMethodOver(BackupMethod base, BackupMethod over) {
  return over == BackupMethod::kUnset ? base : over;
}

}  // namespace hasteward::op
