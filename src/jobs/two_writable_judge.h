// When readings of a switching cluster prove two writable instances at the same moment.
//
// One reading is not one moment: triage reads the instances one after another (each through its
// own connection, on Kubernetes through a port-forward), so a reading that straddles the
// operator's handover can see the old primary writable just before its demotion and the candidate
// writable just after its promotion. Fencing on such a reading stops a healthy old primary in the
// middle of a correct switchover. Two writable instances prove split brain only when the reading
// taken right after sees two again (the candidate, once promoted, stays writable; an old primary
// that was demoted is not seen writable again).
//
// What this cannot see: an old primary that stays writable after the promotion for less than one
// reading and is then demoted. The operator's order (demote, then promote) is what rules that out;
// docs/switchover.md, "On Kubernetes", says so.
#pragma once

#include <string>
#include <vector>

namespace hasteward::jobs {

enum class WritableVerdict {
  kAtMostOne,    // this reading saw one writable instance or none
  kUnconfirmed,  // this reading saw several; read again at once before judging
  kSplitBrain,   // this reading and the one before it both saw several: fence
};

class TwoWritableJudge {
 public:
  // Judges the next reading, given the names of the instances it saw writable.
  WritableVerdict Observe(const std::vector<std::string>& writable);

  // Readings that saw several writable instances and were not confirmed by the next one.
  int straddled() const { return straddled_; }

 private:
  bool pending_ = false;  // the last reading saw several writable instances
  int straddled_ = 0;
};

}  // namespace hasteward::jobs
