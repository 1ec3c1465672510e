#include "platform/operator_resources.h"

namespace hasteward::platform {

const char* OperatorResourceKindName(OperatorResourceKind kind) {
  switch (kind) {
    case OperatorResourceKind::kBackupPolicy: return "BackupPolicy";
    case OperatorResourceKind::kBackupRepository: return "BackupRepository";
    case OperatorResourceKind::kStandbyCluster: return "StandbyCluster";
  }
  return "BackupPolicy";
}

core::Status OperatorResources::RecordEvent(OperatorResourceKind /*kind*/,
                                            const std::string& /*name*/,
                                            const ClusterEvent& /*event*/) {
  return core::Status::Ok();
}

}  // namespace hasteward::platform
