// PgSwitchover::PrepareOperatorHandover: nothing to fence before CloudNativePG's switchover.
//
// Its instance manager stops the old primary itself with a clean shutdown (its walsenders send
// every WAL record, the shutdown checkpoint included, to the standbys before it ends) and
// promotes the target once it replayed them: no session of the old primary commits past that
// point, whatever its role (PostgreSQL has no read-only mode a superuser cannot leave, so a fence
// of our own would be a stop the operator undoes). The real-node tier checks the outcome: every
// acknowledged commit of a writer on the new primary, never two writable
// (tests/kube_node/cnpg_node_test.cpp). MariaDB's handover is another matter
// (mariadb/operator_handover.h).
#include "engine/postgres/switchover.h"

namespace hasteward::engine::postgres {

namespace {

class ShutdownIsTheFence final : public OperatorHandover {
 public:
  explicit ShutdownIsTheFence(SwitchoverPlan plan) : plan_(std::move(plan)) {}

  std::vector<std::string> Describe() const override {
    return {"fence: by the operator: it shuts '" + plan_.old_primary.name +
                "' down cleanly (every WAL record reaches the standbys first)",
            "catch-up: by the operator: it promotes '" + plan_.candidate.name +
                "' once it replayed them"};
  }
  core::Result<std::string> Fence() override {
    return "left to the operator's clean shutdown of '" + plan_.old_primary.name + "'";
  }
  core::Result<std::string> CatchUp() override {
    return "left to the operator: '" + plan_.candidate.name +
           "' is promoted after it replayed the shutdown's WAL";
  }
  std::string Lift() override { return ""; }

 private:
  SwitchoverPlan plan_;
};

}  // namespace

std::unique_ptr<OperatorHandover> PgSwitchover::PrepareOperatorHandover(
    platform::Platform& /*platform*/, const platform::Cluster& /*cluster*/,
    const SwitchoverPlan& plan, const SwitchoverOptions& /*options*/,
    const std::string& /*operator_account*/) {
  return std::make_unique<ShutdownIsTheFence>(plan);
}

}  // namespace hasteward::engine::postgres
