#include "jobs/two_writable_judge.h"

namespace hasteward::jobs {

WritableVerdict TwoWritableJudge::Observe(const std::vector<std::string>& writable) {
  if (writable.size() <= 1) {
    // The reading before this one straddled the handover: it is counted, not judged.
    straddled_ += pending_ ? 1 : 0;
    pending_ = false;
    return WritableVerdict::kAtMostOne;
  }
  if (pending_) {
    return WritableVerdict::kSplitBrain;
  }
  pending_ = true;
  return WritableVerdict::kUnconfirmed;
}

}  // namespace hasteward::jobs
