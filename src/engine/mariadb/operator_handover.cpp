#include "engine/mariadb/operator_handover.h"

#include "engine/instance_handles.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/primary_fence.h"
#include "engine/mariadb/probe_account.h"
#include "engine/mariadb/promotion.h"

namespace hasteward::engine::mariadb {

namespace {

class MariadbOperatorHandover final : public OperatorHandover {
 public:
  MariadbOperatorHandover(platform::Platform& platform, const platform::Cluster& cluster,
                          SwitchoverPlan plan, SwitchoverOptions options,
                          std::string operator_account)
      : handles_(platform, cluster),
        plan_(std::move(plan)),
        options_(std::move(options)),
        operator_account_(std::move(operator_account)) {}
  MariadbOperatorHandover(const MariadbOperatorHandover&) = delete;
  MariadbOperatorHandover& operator=(const MariadbOperatorHandover&) = delete;

  std::vector<std::string> Describe() const override {
    return {"fence: read_only on '" + plan_.old_primary.name +
                "', READ ONLY ADMIN taken from every account but HASteward's and the operator's "
                "own" +
                Kept() +
                ", their sessions killed; proven by a refused probe write and a position "
                "still for " +
                std::to_string(kFenceSettleBeforeOperator.count()) + " ms",
            "catch-up: '" + plan_.candidate.name +
                "' applies exactly the fenced primary's final GTID position"};
  }

  core::Result<std::string> Fence() override {
    HS_ASSIGN_OR_RETURN(old_, handles_.Open(plan_.old_primary));
    HS_ASSIGN_OR_RETURN(auto admin, MariadbConnection::ConnectInstance(*old_, options_.timeout));
    HS_TRY(EnsureProbeTable(*admin));
    HS_ASSIGN_OR_RETURN(probe_, ProbeAccount::Create(*old_, std::move(admin)));
    HS_ASSIGN_OR_RETURN(std::string probe_admin, probe_->AdminSessionId());
    std::vector<std::string> kept;
    if (!operator_account_.empty())
      kept.push_back(operator_account_);
    fence_ = std::make_unique<PrimaryFence>(*old_, options_.timeout, kept);
    HS_TRY(fence_->Raise({probe_admin}));
    auto proven = fence_->Prove(*probe_, kFenceSettleBeforeOperator);
    if (!proven.ok()) {
      core::Status failed = proven.TakeStatus();
      if (!operator_account_.empty()) {
        failed.WithHint(failed.hint() + "; '" + operator_account_ +
                        "', the account the operator switches over with, keeps READ ONLY ADMIN "
                        "and writes through read_only: give the applications an account of "
                        "their own, or stop their writes for the switchover");
      }
      return failed;
    }
    final_position_ = *proven;
    return "'" + plan_.old_primary.name + "': " + fence_->Describe() + Kept() +
           "; a probe write was refused and gtid_binlog_pos stayed at " + final_position_ +
           " for " + std::to_string(kFenceSettleBeforeOperator.count()) + " ms";
  }

  core::Result<std::string> CatchUp() override {
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * candidate, handles_.Open(plan_.candidate));
    HS_ASSIGN_OR_RETURN(auto conn, ConnectForWait(*candidate, options_.timeout));
    return WaitAppliedExactly(*conn, plan_.candidate.name, final_position_, options_.timeout);
  }

  std::string Lift() override {
    if (fence_ == nullptr)
      return "";
    core::Status lifted = fence_->Lift();
    if (!lifted.ok())
      return "the fence of '" + plan_.old_primary.name + "' was not lifted: " + lifted.ToString();
    return "the fence of '" + plan_.old_primary.name +
           "' was lifted (read_only=OFF, privileges given back)";
  }

 private:
  std::string Kept() const {
    return operator_account_.empty() ? std::string()
                                     : " ('" + operator_account_ + "' kept for the operator)";
  }

  InstanceHandles handles_;
  SwitchoverPlan plan_;
  SwitchoverOptions options_;
  std::string operator_account_;
  platform::InstanceHandle* old_ = nullptr;
  std::unique_ptr<PrimaryFence> fence_;
  std::unique_ptr<ProbeAccount> probe_;  // after the fence: dropped first, the fence kept up
  std::string final_position_;
};

}  // namespace

std::unique_ptr<OperatorHandover> MakeOperatorHandover(platform::Platform& platform,
                                                       const platform::Cluster& cluster,
                                                       const SwitchoverPlan& plan,
                                                       const SwitchoverOptions& options,
                                                       const std::string& operator_account) {
  return std::make_unique<MariadbOperatorHandover>(platform, cluster, plan, options,
                                                   operator_account);
}

}  // namespace hasteward::engine::mariadb
