// The partition set test of issue #32, written once for both engines: a gtest fixture that moves
// the test into its own network namespace (support/partition_network.h), makes the engine's
// cluster, and plays the seeded runs of support/partition_plan.h against it. Each run: a writer
// committing unique ids and a probe asking every instance every 10 ms to accept a write (both as
// the partition observer, never cut); the old primary cut off from hasteward at one step of a
// switchover (then a rerun of the same switchover), or from its replicas, with or without
// hasteward, before a failover (then `repair` rejoins it); the cut healed. After every run: the
// cluster healthy (triage 0), no acknowledged id lost, none twice, and never two instances
// accepting writes at the same moment.
//
// An engine's test derives from it and supplies the hooks (its cluster, writer and probe).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/status.h"
#include "support/cluster_env.h"
#include "support/hasteward_env.h"
#include "support/partition_network.h"
#include "support/partition_plan.h"
#include "support/sandbox_cluster.h"
#include "support/writable_probe.h"

namespace hasteward::testing {

class PartitionSuite : public ::testing::Test {
 public:
  static constexpr int kRuns = 20;

  struct SetOutcome {
    size_t acknowledged = 0;
    size_t lost = 0;
    size_t duplicated = 0;
    std::chrono::milliseconds longest_gap{0};
  };

 protected:
  explicit PartitionSuite(std::string engine_flag)
      : engine_flag_(std::move(engine_flag)), hs_("hs-partition-", "partition-test") {}

  void SetUp() override;
  // Plays kRuns seeded runs; stops at the first failing run.
  void PlayAllRuns();

  // The engine's part.
  virtual core::Result<std::unique_ptr<SandboxCluster>> MakeCluster() = 0;
  // Whether instance `ordinal` is the writable primary (asked with the stock client).
  virtual bool IsPrimary(int ordinal) = 0;
  // Starts a writer (as the observer) for run `run`; its ids go to a table of its own.
  virtual void StartWriter(int run) = 0;
  virtual bool WriterWaitForMore(size_t count, std::chrono::milliseconds timeout) = 0;
  virtual SetOutcome StopWriterAndCheck(int primary) = 0;
  virtual WritableProbe::ProbeFactory Probe(int ordinal) = 0;

  SandboxCluster& db() { return *db_; }
  CmdResult Hs(std::vector<std::string> args) const;

 private:
  ClusterEnv Cluster() const { return ClusterEnv::On(hs_, *db_, engine_flag_); }
  int WaitHealthy(std::string* last);
  std::string SwitchoverCut(const PartitionRun& run, int primary, int candidate);
  std::string Failover(const PartitionRun& run, int primary);
  void RejoinOldPrimary(int old_primary);
  void RunOnce(const PartitionRun& run, int index, int primary);
  void CheckRun(const std::string& said, int primary, const WritableProbe& probe);

  std::string engine_flag_;
  HastewardEnv hs_;
  std::unique_ptr<PartitionNetwork> net_;
  std::unique_ptr<SandboxCluster> db_;
  int held_ = 0;
};

}  // namespace hasteward::testing
