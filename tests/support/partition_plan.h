// The seeded runs of a partition set test (issue #32), the same for both engines: every cut point
// of a switchover at least once (the old primary cut off from hasteward before the command and
// after each of its steps up to the repoint), both failover partitions (the old primary cut off
// from everyone but the writer; from its replicas only) at least three times each, the rest drawn
// from the seed. The seed is printed by the test and taken from $HASTEWARD_PARTITION_SEED when set,
// so a failing run can be replayed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace hasteward::testing {

enum class PartitionCase {
  kSwitchoverCutFromHasteward,
  kFailoverPrimaryIsolated,
  kFailoverCutFromReplicas,
};

struct PartitionRun {
  PartitionCase what = PartitionCase::kSwitchoverCutFromHasteward;
  // Switchover: the step after which the cut falls ("" = before the command starts).
  std::string cut_after;
  // How long the partition outlasts the command before it heals.
  std::chrono::milliseconds heal_after{0};
  // Which standby a switchover goes to (index among the standbys, modulo their count).
  int candidate_pick = 0;
};

// $HASTEWARD_PARTITION_SEED, or a fresh random seed.
uint32_t PartitionSeed();
std::vector<PartitionRun> PlanPartitionRuns(uint32_t seed, int count);
// "switchover, cut after 'fence', healed 120 ms later" for logs.
std::string Describe(const PartitionRun& run);

}  // namespace hasteward::testing
