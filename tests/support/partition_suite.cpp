#include "support/partition_suite.h"

#include <cstdio>
#include <fstream>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "core/poll_until.h"

namespace hasteward::testing {

namespace {

using Side = PartitionNetwork::Side;

constexpr int kSafetyStopExit = 24;  // docs/exit-codes.md
constexpr int kSplitBrainExit = 5;

std::string Said(int exit_code, const std::string& text) {
  return "exit " + std::to_string(exit_code) + ": " + text;
}

}  // namespace

void PartitionSuite::SetUp() {
  auto net = PartitionNetwork::Enter();
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  net_ = std::move(*net);
  // repair's escrow and diverged captures go here.
  CmdResult init = hs_.Run({"repo", "init"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  auto cluster = MakeCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  db_ = std::move(*cluster);
}

CmdResult PartitionSuite::Hs(std::vector<std::string> args) const {
  return Cluster().Hs(std::move(args));
}

int PartitionSuite::WaitHealthy(std::string* last) {
  // Every 200 ms: after each run the cluster is usually whole within one to four seconds, and a
  // one-second poll added half a second to each of the suite's 20 runs.
  bool healthy = core::PollUntil(
      [&] {
        CmdResult triage = Hs({"triage"});
        *last = triage.out + triage.err;
        return triage.exit_code == 0;
      },
      std::chrono::seconds(120), std::chrono::milliseconds(200));
  if (!healthy)
    return -1;
  for (int n = 0; n < static_cast<int>(db_->cluster().instances.size()); ++n) {
    if (IsPrimary(n))
      return n;
  }
  return -1;
}

std::string PartitionSuite::SwitchoverCut(const PartitionRun& run, int primary, int candidate) {
  std::vector<std::string> args = {"switchover", "--to", db_->instance(candidate).name, "--timeout",
                                   "10s"};
  const int port = db_->instance(primary).port;
  if (run.cut_after.empty()) {
    EXPECT_TRUE(net_->Cut(Side::kHasteward, port).ok());
    CmdResult r = Hs(args);
    return Said(r.exit_code, r.err);
  }
  // Held right after the step, cut, then released: the cut is in place whatever the load.
  const std::string id = std::to_string(++held_);
  const std::string release = hs_.Path("release-" + id);
  auto held =
      Cluster().Start(args, "switchover-after-" + run.cut_after + ":hold",
                      hs_.Path("held-" + id + ".err"), {{"HASTEWARD_FAILPOINT_RELEASE", release}});
  EXPECT_TRUE(held.ok()) << held.status().ToString();
  if (!held.ok())
    return "";
  EXPECT_TRUE((*held)->WaitUntilHeld()) << (*held)->err();
  EXPECT_TRUE(net_->Cut(Side::kHasteward, port).ok());
  std::ofstream(release) << "cut\n";
  auto exited = (*held)->WaitForExit(std::chrono::seconds(240));
  EXPECT_TRUE(exited.has_value()) << "the switchover did not end under the partition: "
                                  << (*held)->err();
  return Said(exited ? exited->exit_code : -1, (*held)->err());
}

std::string PartitionSuite::Failover(const PartitionRun& run, int primary) {
  const int port = db_->instance(primary).port;
  const bool isolated = run.what == PartitionCase::kFailoverPrimaryIsolated;
  EXPECT_TRUE(net_->Cut(Side::kPeers, port).ok());
  if (isolated)
    EXPECT_TRUE(net_->Cut(Side::kHasteward, port).ok());
  CmdResult r = Hs({"failover", "--require-sync", "--timeout", "10s", "--json"});
  std::string said = Said(r.exit_code, r.out + r.err);
  // A primary hasteward still reaches is no failover's to replace; one cut off from hasteward
  // too is stopped before a replica is promoted.
  EXPECT_EQ(r.exit_code, isolated ? 0 : kSafetyStopExit) << said;
  return said;
}

// After a failover the old primary is fenced; repair rejoins it, with --force when it holds
// writes nobody else has (captured as a type=diverged snapshot first: never acknowledged, as the
// set check proves). A stopped old
// primary's position is unknown until repair starts it and refuses (24) on what it finds: the
// second attempt's triage then says split-brain.
void PartitionSuite::RejoinOldPrimary(int old_primary) {
  std::string said;
  for (int attempt = 0; attempt < 2; ++attempt) {
    CmdResult triage = Hs({"triage"});
    std::vector<std::string> args = {"repair", "-i", std::to_string(old_primary), "--heal-timeout",
                                     "120s"};
    if (triage.exit_code == kSplitBrainExit)
      args.emplace_back("--force");
    CmdResult repair = Hs(args);
    said += triage.out + triage.err + repair.out + repair.err;
    if (repair.exit_code == 0)
      return;
    if (repair.exit_code != kSafetyStopExit)
      break;
  }
  ADD_FAILURE() << "repair did not rejoin the old primary: " << said;
}

void PartitionSuite::RunOnce(const PartitionRun& run, int index, int primary) {
  StartWriter(index);
  ASSERT_TRUE(WriterWaitForMore(50, std::chrono::seconds(60))) << "the writer never started";
  std::vector<std::pair<std::string, WritableProbe::ProbeFactory>> probes;
  for (int n = 0; n < static_cast<int>(db_->cluster().instances.size()); ++n)
    probes.emplace_back(db_->instance(n).name, Probe(n));
  auto probe = WritableProbe::Start(std::move(probes));
  const int candidate = (primary + 1 + run.candidate_pick) % 3;
  const bool switchover = run.what == PartitionCase::kSwitchoverCutFromHasteward;
  const core::Clock& clock = core::SystemClock::Get();
  auto started = clock.Monotonic();
  auto seconds_since = [&clock](std::chrono::steady_clock::time_point from) {
    return std::chrono::duration<double>(clock.Monotonic() - from).count();
  };
  std::string said = switchover ? SwitchoverCut(run, primary, candidate) : Failover(run, primary);
  std::printf("  command %.1f s\n", seconds_since(started));
  std::this_thread::sleep_for(run.heal_after);  // the partition outlasts the command
  ASSERT_TRUE(net_->HealAll().ok());
  auto healed = clock.Monotonic();
  if (switchover) {  // the rerun finishes what the cut interrupted, or does it anew
    CmdResult rerun = Hs({"switchover", "--to", db_->instance(candidate).name, "--timeout", "30s"});
    EXPECT_EQ(rerun.exit_code, 0) << "first run: " << said << "\nrerun: " << rerun.out << rerun.err;
  } else if (run.what == PartitionCase::kFailoverPrimaryIsolated) {
    RejoinOldPrimary(primary);
  }
  std::printf("  rerun or rejoin %.1f s\n", seconds_since(healed));
  auto rejoined = clock.Monotonic();
  std::string triage;
  int now_primary = WaitHealthy(&triage);
  ASSERT_GE(now_primary, 0) << "not healthy after the run: " << triage << "\ncommand: " << said;
  std::printf("  healthy after %.1f s\n", seconds_since(rejoined));
  if (switchover)
    EXPECT_EQ(now_primary, candidate) << said;
  ASSERT_TRUE(WriterWaitForMore(50, std::chrono::seconds(60)))
      << "the writer never reached the primary again";
  probe->Stop();
  CheckRun(said, now_primary, *probe);
}

void PartitionSuite::CheckRun(const std::string& said, int primary, const WritableProbe& probe) {
  SetOutcome outcome = StopWriterAndCheck(primary);
  std::printf("  %zu acknowledged, %zu lost, %zu duplicated", outcome.acknowledged, outcome.lost,
              outcome.duplicated);
  if (outcome.longest_gap.count() > 0)  // measured by the PostgreSQL writer only
    std::printf(", longest write gap %lld ms", static_cast<long long>(outcome.longest_gap.count()));
  std::printf("\n");
  EXPECT_EQ(outcome.lost, 0U) << said;
  EXPECT_EQ(outcome.duplicated, 0U) << said;
  EXPECT_EQ(probe.Overlap(), "") << said;
  for (const auto& instance : db_->cluster().instances)
    EXPECT_GT(probe.Sent(instance.name), 0U) << "'" << instance.name << "' was never probed";
  EXPECT_GT(probe.Accepted(db_->instance(primary).name), 0U)
      << "the probe never saw the primary accept a write";
}

void PartitionSuite::PlayAllRuns() {
  const uint32_t seed = PartitionSeed();
  std::printf("partition seed %u (HASTEWARD_PARTITION_SEED=%u replays it)\n", seed, seed);
  const auto runs = PlanPartitionRuns(seed, kRuns);
  for (size_t n = 0; n < runs.size(); ++n) {
    std::string triage;
    int primary = WaitHealthy(&triage);
    ASSERT_GE(primary, 0) << "not healthy before run " << n + 1 << ": " << triage;
    std::printf("run %zu/%zu (seed %u): %s; primary '%s'\n", n + 1, runs.size(), seed,
                Describe(runs[n]).c_str(), db_->instance(primary).name.c_str());
    std::fflush(stdout);
    SCOPED_TRACE("run " + std::to_string(n + 1) + " of seed " + std::to_string(seed) + ": " +
                 Describe(runs[n]));
    RunOnce(runs[n], static_cast<int>(n), primary);
    if (HasFailure())
      return;  // the cluster is in an unknown state: later runs would only repeat the failure
  }
}

}  // namespace hasteward::testing
