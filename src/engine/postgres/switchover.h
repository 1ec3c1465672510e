// PostgreSQL switchover and failover (engine/switchover.h), the CloudNativePG way with proofs:
//  switchover: CHECKPOINT, fast shutdown of the old primary (its walsenders send all WAL,
//    shutdown checkpoint included, to the connected standbys before it exits), a persisted fence
//    (standby.signal), the proof (server down, pg_control "shut down" at a known checkpoint), a
//    bounded wait until the candidate has replayed that checkpoint record, pg_promote, the old
//    primary restarted as a standby of the new one and the others repointed, a proven write;
//  failover: the most advanced standby by received/replayed LSN, the old primary fenced in its
//    data directory (standby.signal + marker) until `repair` re-clones it.
#pragma once

#include "engine/switchover.h"

namespace hasteward::engine::postgres {

class PgSwitchover : public Switchover {
 public:
  core::Result<SwitchoverPlan> PlanSwitchover(platform::Platform& platform,
                                              const platform::Cluster& cluster,
                                              const SwitchoverOptions& options) override;
  SwitchoverReport RunSwitchover(platform::Platform& platform, const platform::Cluster& cluster,
                                 const SwitchoverPlan& plan,
                                 const SwitchoverOptions& options) override;
  core::Result<SwitchoverPlan> PlanFailover(platform::Platform& platform,
                                            const platform::Cluster& cluster,
                                            const SwitchoverOptions& options) override;
  SwitchoverReport RunFailover(platform::Platform& platform, const platform::Cluster& cluster,
                               const SwitchoverPlan& plan,
                               const SwitchoverOptions& options) override;
  std::unique_ptr<OperatorHandover> PrepareOperatorHandover(
      platform::Platform& platform, const platform::Cluster& cluster, const SwitchoverPlan& plan,
      const SwitchoverOptions& options, const std::string& operator_account) override;
};

}  // namespace hasteward::engine::postgres
