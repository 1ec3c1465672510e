#include "engine/switchover.h"

namespace hasteward::engine {

const char* SwitchoverStepName(SwitchoverStep step) {
  switch (step) {
    case SwitchoverStep::kPreCheck: return "pre-check";
    case SwitchoverStep::kFence: return "fence";
    case SwitchoverStep::kProveFence: return "prove-fence";
    case SwitchoverStep::kCatchUp: return "catch-up";
    case SwitchoverStep::kPromote: return "promote";
    case SwitchoverStep::kRepoint: return "repoint";
    case SwitchoverStep::kProveWritable: return "prove-writable";
  }
  return "unknown";
}

}  // namespace hasteward::engine
