#include "support/partition_plan.h"

#include <algorithm>
#include <cstdlib>
#include <random>

namespace hasteward::testing {

namespace {

// Before the command, then after each step of engine/switchover_skeleton.h up to the repoint
// (after prove-writable the switchover is over).
const std::vector<std::string>& CutPoints() {
  static const std::vector<std::string> kPoints = {"",         "pre-check", "fence",  "prove-fence",
                                                   "catch-up", "promote",   "repoint"};
  return kPoints;
}

constexpr int kFailoversOfEachKind = 3;

}  // namespace

uint32_t PartitionSeed() {
  if (const char* fixed = std::getenv("HASTEWARD_PARTITION_SEED"))
    return static_cast<uint32_t>(std::strtoul(fixed, nullptr, 10));
  return std::random_device{}();
}

std::vector<PartitionRun> PlanPartitionRuns(uint32_t seed, int count) {
  std::mt19937 random(seed);
  auto pick = [&random](int below) {
    return static_cast<int>(random() % below);
  };
  std::vector<PartitionRun> runs;
  for (const std::string& point : CutPoints())
    runs.push_back({.cut_after = point});
  for (int n = 0; n < kFailoversOfEachKind; ++n) {
    runs.push_back({.what = PartitionCase::kFailoverPrimaryIsolated});
    runs.push_back({.what = PartitionCase::kFailoverCutFromReplicas});
  }
  while (static_cast<int>(runs.size()) < count) {
    PartitionRun run;
    int kind = pick(4);  // half of the rest are switchovers
    run.what = kind < 2   ? PartitionCase::kSwitchoverCutFromHasteward
               : kind < 3 ? PartitionCase::kFailoverPrimaryIsolated
                          : PartitionCase::kFailoverCutFromReplicas;
    if (run.what == PartitionCase::kSwitchoverCutFromHasteward)
      run.cut_after = CutPoints()[static_cast<size_t>(pick(static_cast<int>(CutPoints().size())))];
    runs.push_back(run);
  }
  for (PartitionRun& run : runs) {
    run.heal_after = std::chrono::milliseconds(pick(1500));
    run.candidate_pick = pick(2);
  }
  std::shuffle(runs.begin(), runs.end(), random);
  return runs;
}

std::string Describe(const PartitionRun& run) {
  std::string what;
  switch (run.what) {
    case PartitionCase::kSwitchoverCutFromHasteward:
      what = "switchover, the old primary cut off from hasteward " +
             (run.cut_after.empty() ? std::string("before the command")
                                    : "after '" + run.cut_after + "'");
      break;
    case PartitionCase::kFailoverPrimaryIsolated:
      what = "failover, the primary cut off from hasteward and its replicas";
      break;
    case PartitionCase::kFailoverCutFromReplicas:
      what = "failover, the primary cut off from its replicas";
      break;
  }
  return what + ", healed " + std::to_string(run.heal_after.count()) + " ms after the command";
}

}  // namespace hasteward::testing
