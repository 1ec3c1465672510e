#include "platform/operator_resources.h"

namespace hasteward::platform {

const char* OperatorResourceKindName(OperatorResourceKind kind) {
  switch (kind) {
    case OperatorResourceKind::kBackupPolicy: return "BackupPolicy";
    case OperatorResourceKind::kBackupRepository: return "BackupRepository";
  }
  return "BackupPolicy";
}

}  // namespace hasteward::platform
