// MariaDB (GTID replication, async or semi-sync) switchover and failover: the engine's
// Switchover capability (engine/switchover.h).
//
// Switchover: pre-check (the candidate replicates from the primary, its applier has no error and
// a bounded lag, the semi-sync state is read — an unreadable one counts as semi-sync, failing
// closed), fence the old primary (primary_fence.h: bypass privileges revoked, their sessions
// killed, read_only=ON), prove the fence (a probe account's write is refused, gtid_binlog_pos
// stands still), wait (MASTER_GTID_WAIT, bounded by the timeout) until the candidate has applied
// exactly the old primary's final GTID set, promote (STOP SLAVE, RESET SLAVE ALL, semi-sync
// master side when semi-sync, read_only=OFF), repoint the old primary and the other replicas
// (CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos), prove the new primary accepts a probe write
// that reaches the old primary. Any abort before the promotion lifts the fence.
//
// Failover: the primary does not answer; the most advanced replica (failover_choice.h) is
// promoted, the others repointed, and the old primary is left fenced (read_only=ON in its
// persisted configuration, and at runtime if it answers) until `repair` rejoins it.
#pragma once

#include "engine/switchover.h"

namespace hasteward::engine::mariadb {

// Lag (Seconds_Behind_Master) above which a running candidate is refused by the pre-check.
inline constexpr int kMaxSwitchoverLagSeconds = 10;

class MariadbSwitchover : public Switchover {
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

}  // namespace hasteward::engine::mariadb
