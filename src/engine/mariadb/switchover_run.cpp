// MariadbSwitchover::RunSwitchover: the steps of a planned switchover (switchover.h), each a
// method of SwitchoverRun, run by the one skeleton (engine/switchover_skeleton.h); its Undo, after
// an abort before the promotion took effect, lifts the fence so the old primary takes writes
// again.
#include <memory>

#include "core/failpoint.h"
#include "engine/mariadb/bypass_accounts.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/operator_handover.h"
#include "engine/mariadb/persisted_fence.h"
#include "engine/mariadb/primary_fence.h"
#include "engine/mariadb/probe_account.h"
#include "engine/mariadb/promotion.h"
#include "engine/mariadb/semisync_role.h"
#include "engine/mariadb/switchover.h"
#include "engine/mariadb/switchover_checks.h"
#include "engine/switchover_skeleton.h"

namespace hasteward::engine::mariadb {

namespace {

class SwitchoverRun final : public SwitchoverSteps {
 public:
  SwitchoverRun(platform::Platform& platform, const platform::Cluster& cluster,
                const SwitchoverPlan& plan, const SwitchoverOptions& options)
      : handles_(platform, cluster), plan_(plan), options_(options) {}
  ~SwitchoverRun() override { old_probe_.reset(); }  // drops the probe account on the old primary
  SwitchoverRun(const SwitchoverRun&) = delete;
  SwitchoverRun& operator=(const SwitchoverRun&) = delete;

  core::Result<std::string> PreCheck() override;
  core::Result<std::string> Fence() override;
  core::Result<std::string> ProveFence() override;
  core::Result<std::string> CatchUp() override;
  core::Result<std::string> Promote() override;
  core::Result<std::string> Repoint() override;
  core::Result<std::string> ProveWritable() override;
  bool NeedsUndo() const override {
    return (fence_persisted_ || fence_ != nullptr) && !candidate_writable_;
  }
  // The candidate follows the old primary again (when it was already detached) and the old
  // primary takes writes again.
  std::string Undo() override;
  std::string PromotedAt() const override { return final_position_; }

 private:
  core::Status FenceCandidateAgain();
  core::Result<std::string> CheckResume();

  // The old primary's and the candidate's handles: opened once by PreCheck, for the whole run.
  core::Status OpenHandles();

  InstanceHandles handles_;  // one per instance, for the whole run
  platform::InstanceHandle* old_ = nullptr;
  platform::InstanceHandle* candidate_handle_ = nullptr;
  const SwitchoverPlan& plan_;
  const SwitchoverOptions& options_;
  bool semisync_ = true;
  std::vector<platform::Instance> others_;
  std::string skipped_;  // replicas that did not answer the pre-check (not repointed)
  std::unique_ptr<MariadbConnection> candidate_;
  std::unique_ptr<ProbeAccount> old_probe_;
  std::unique_ptr<PrimaryFence> fence_;
  std::string final_position_;
  bool fence_persisted_ = false;
  bool candidate_detached_ = false;
  bool candidate_writable_ = false;
};

// A rerun of an interrupted switchover (plan.resumes_after): the state the killed run left must
// still hold, and what its later steps need is rebuilt from the instances and the old primary's
// journal instead of from the steps this run skips.
core::Status SwitchoverRun::OpenHandles() {
  HS_ASSIGN_OR_RETURN(old_, handles_.Open(plan_.old_primary));
  HS_ASSIGN_OR_RETURN(candidate_handle_, handles_.Open(plan_.candidate));
  return core::Status::Ok();
}

core::Result<std::string> SwitchoverRun::CheckResume() {
  std::vector<InstanceProbe> probes = ProbeForSwitchover(handles_);
  const InstanceProbe* old = nullptr;
  const InstanceProbe* candidate = nullptr;
  for (const auto& probe : probes) {
    if (probe.instance->name == plan_.old_primary.name)
      old = &probe;
    if (probe.instance->name == plan_.candidate.name)
      candidate = &probe;
  }
  if (old == nullptr || candidate == nullptr || !old->status.ok() || !candidate->status.ok()) {
    return core::Status(core::ErrorCode::kUnreachable,
                        "an instance of the switchover does not answer",
                        "bring it back and run the switchover again");
  }
  const bool promoted = *plan_.resumes_after >= SwitchoverStep::kPromote;
  const bool candidate_primary = candidate->replication.empty() && !candidate->read_only;
  if (promoted != candidate_primary || (old != candidate && !old->read_only)) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the cluster changed since the interrupted switchover was read",
                        "run 'hasteward triage', then plan the switchover again");
  }
  for (const auto& probe : probes) {
    if (&probe != old && &probe != candidate && probe.status.ok())
      others_.push_back(*probe.instance);
  }
  HS_ASSIGN_OR_RETURN(candidate_, ConnectForWait(*candidate_handle_, options_.timeout));
  if (promoted) {
    candidate_detached_ = candidate_writable_ = true;
    semisync_ = SemisyncPrimary(*candidate);
    HS_ASSIGN_OR_RETURN(auto admin, MariadbConnection::ConnectInstance(*old_, options_.timeout));
    HS_ASSIGN_OR_RETURN(auto position, admin->QueryValue("SELECT @@global.gtid_binlog_pos"));
    final_position_ = position.value_or("");  // read-only since the fence: its final position
    return "'" + plan_.candidate.name + "' is the primary; the rest of the switchover follows";
  }
  semisync_ = SemisyncPrimary(*old);
  std::vector<BypassAccount> revoked;
  for (const auto& note : ReadFenceNotes(*old_)) {
    if (auto account = BypassAccount::FromNote(note))
      revoked.push_back(*account);
  }
  fence_persisted_ = true;
  fence_ = PrimaryFence::Resume(*old_, options_.timeout, revoked);
  HS_ASSIGN_OR_RETURN(auto admin, MariadbConnection::ConnectInstance(*old_, options_.timeout));
  HS_ASSIGN_OR_RETURN(old_probe_, ProbeAccount::Create(*old_, std::move(admin)));
  return "'" + plan_.old_primary.name + "' is fenced by the interrupted run (" +
         std::to_string(revoked.size()) + " revoked privilege holder(s) journaled)";
}

core::Result<std::string> SwitchoverRun::PreCheck() {
  HS_TRY(OpenHandles());
  if (plan_.resumes_after)
    return CheckResume();
  // Re-read: the plan may be minutes old (a --dry-run, a confirmation), and the cluster moves.
  std::vector<InstanceProbe> probes = ProbeForSwitchover(handles_);
  HS_ASSIGN_OR_RETURN(SwitchoverTopology topology,
                      CheckSwitchover(handles_.cluster(), probes, plan_.candidate.name));
  if (topology.primary->instance->name != plan_.old_primary.name) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the primary changed since the plan ('" + plan_.old_primary.name +
                            "' -> '" + topology.primary->instance->name + "')",
                        "run the switchover again");
  }
  semisync_ = topology.semisync;
  for (const auto* other : topology.others) {
    if (other->status.ok()) {
      others_.push_back(*other->instance);
    } else {
      skipped_ += (skipped_.empty() ? "'" : ", '") + other->instance->name + "'";
    }
  }
  HS_ASSIGN_OR_RETURN(auto admin, MariadbConnection::ConnectInstance(*old_, options_.timeout));
  HS_TRY(EnsureProbeTable(*admin));
  HS_ASSIGN_OR_RETURN(old_probe_, ProbeAccount::Create(*old_, std::move(admin)));
  HS_ASSIGN_OR_RETURN(candidate_, ConnectForWait(*candidate_handle_, options_.timeout));
  return "'" + plan_.candidate.name + "': " + topology.candidate_summary +
         "; semi-sync: " + (semisync_ ? "on (or unreadable: treated as on)" : "off");
}

core::Result<std::string> SwitchoverRun::Fence() {
  fence_ = std::make_unique<PrimaryFence>(*old_, options_.timeout);
  HS_ASSIGN_OR_RETURN(std::string probe_admin, old_probe_->AdminSessionId());
  HS_ASSIGN_OR_RETURN(std::vector<BypassAccount> holders, fence_->Prepare({probe_admin}));
  // Persisted first, with a journal of the switchover and of every privilege about to be
  // revoked: from here on a restart of the old primary, at any step, brings it back read-only,
  // and a rerun of a killed run finds what to finish or give back. A switchover whose fence holds
  // only until the next restart is not a switchover (the old primary would come back writable
  // beside the new one), so it stops here unless forced.
  std::vector<std::string> journal = {SwitchoverInProgressNote(plan_.candidate.name)};
  for (const auto& holder : holders)
    journal.push_back(holder.Note());
  core::Status persisted = PersistReadOnlyFence(*old_, journal);
  if (!persisted.ok() && !options_.force) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "cannot persist read_only in the configuration of '" +
                            plan_.old_primary.name + "': " + persisted.message(),
                        "give it a config file HASteward can write (configFile in the "
                        "inventory): a fence that a restart lifts is no switchover");
  }
  fence_persisted_ = persisted.ok();
  HS_TRY(fence_->Raise());
  return "'" + plan_.old_primary.name + "': " + fence_->Describe() +
         (fence_persisted_ ? "; read_only = ON persisted in " + plan_.old_primary.config_file
                           : "; read_only NOT persisted (forced): " + persisted.message());
}

core::Result<std::string> SwitchoverRun::ProveFence() {
  HS_ASSIGN_OR_RETURN(final_position_, fence_->Prove(*old_probe_, kFenceSettle));
  return "a probe write was refused (read-only) and gtid_binlog_pos stayed at " + final_position_;
}

core::Result<std::string> SwitchoverRun::CatchUp() {
  return WaitAppliedExactly(*candidate_, plan_.candidate.name, final_position_, options_.timeout);
}

core::Result<std::string> SwitchoverRun::Promote() {
  // A candidate that was itself demoted once carries the persisted fence: a restart must not
  // bring the new primary back read-only.
  HS_TRY(RemovePersistedFence(*candidate_handle_));
  candidate_detached_ = true;
  HS_TRY(mariadb::Promote(*candidate_, semisync_));
  if (core::FailpointFails("mariadb-promote-reply-lost")) {  // read_only=OFF took effect
    return core::Status(
        core::ErrorCode::kUnreachable,
        "lost the connection to '" + plan_.candidate.name + "' after read_only=OFF (failpoint)");
  }
  candidate_writable_ = true;
  std::string detail = "'" + plan_.candidate.name + "' replicates from no one and is writable";
  if (semisync_)
    detail += SemisyncRoleDetail(*candidate_handle_, *candidate_, true);
  return detail;
}

core::Result<std::string> SwitchoverRun::Repoint() {
  // The other replicas first: the new primary's semi-sync commits wait for one of them, and the
  // old primary is the one a partition may keep us from (a rerun repoints it then).
  std::string others, persisted;
  for (const auto& other : others_) {
    HS_ASSIGN_OR_RETURN(platform::InstanceHandle * other_handle, handles_.Open(other));
    HS_ASSIGN_OR_RETURN(auto conn,
                        MariadbConnection::ConnectInstance(*other_handle, options_.timeout));
    HS_TRY(mariadb::Repoint(*conn, handles_.cluster(), plan_.candidate, {semisync_, ""})
               .Wrap("repoint '" + other.name + "'"));
    others += ", '" + other.name + "'";
    if (semisync_)
      persisted += SemisyncRoleDetail(*other_handle, *conn, false);
  }
  HS_ASSIGN_OR_RETURN(auto old_primary,
                      MariadbConnection::ConnectInstance(*old_, options_.timeout));
  HS_TRY(mariadb::Repoint(*old_primary, handles_.cluster(), plan_.candidate,
                          {semisync_, final_position_})
             .Wrap("repoint the old primary '" + plan_.old_primary.name + "'"));
  if (semisync_)
    persisted += SemisyncRoleDetail(*old_, *old_primary, false);
  std::string names = "'" + plan_.old_primary.name + "'" + others;
  std::string detail = names + " replicate from '" + plan_.candidate.name + "' by GTID" + persisted;
  // The switch is done: the old primary keeps its read_only fence, without the journal a rerun
  // would take for a switchover to finish.
  core::Status closed = PersistReadOnlyFence(*old_);
  if (!closed.ok())
    detail += "; the switchover's journal stays in its config: " + closed.message();
  if (!skipped_.empty())
    detail += "; not answering, left as they were: " + skipped_;
  return detail;
}

core::Result<std::string> SwitchoverRun::ProveWritable() {
  // A rerun finding the switch done has no old primary apart from the candidate to follow it.
  const platform::InstanceHandle* follower =
      plan_.old_primary.name == plan_.candidate.name ? nullptr : old_;
  return mariadb::ProveWritable(*candidate_handle_, follower, options_.timeout);
}

// The promotion may have taken effect although its client saw an error (a connection lost after
// read_only=OFF): the old primary takes writes again only once the candidate is read-only, proven
// on a new connection, or the undo would leave two writable instances. Unproven, both stay
// read-only (safe, refusing writes) and the report says so.
core::Status SwitchoverRun::FenceCandidateAgain() {
  HS_ASSIGN_OR_RETURN(auto conn,
                      MariadbConnection::ConnectInstance(*candidate_handle_, options_.timeout));
  HS_TRY(conn->Execute("SET GLOBAL read_only = ON"));
  HS_ASSIGN_OR_RETURN(auto read_only, conn->QueryValue("SELECT @@global.read_only"));
  if (read_only.value_or("") != "1") {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "'" + plan_.candidate.name + "' still reports read_only = " + read_only.value_or("NULL"));
  }
  return core::Status::Ok();
}

std::string SwitchoverRun::Undo() {
  std::string done;
  if (candidate_detached_) {
    core::Status fenced = FenceCandidateAgain();
    if (!fenced.ok()) {
      return "; '" + plan_.candidate.name +
             "' may have been promoted and could not be made "
             "read-only again (" +
             fenced.message() + "): the old primary '" + plan_.old_primary.name +
             "' stays read-only too; run 'hasteward triage'";
    }
    done += "; '" + plan_.candidate.name + "' is read-only again";
  }
  if (candidate_detached_ && candidate_ != nullptr) {
    core::Status back =
        mariadb::Repoint(*candidate_, handles_.cluster(), plan_.old_primary, {semisync_, ""});
    done += back.ok() ? "; '" + plan_.candidate.name + "' replicates from '" +
                            plan_.old_primary.name + "' again"
                      : "; re-attaching '" + plan_.candidate.name + "' failed: " + back.message();
  }
  // The runtime fence first: when it cannot be lifted (the old primary cut off from us), the
  // persisted block and its journal stay, so the old primary stays fenced across a restart and a
  // rerun finds the switchover to finish. Removing the block first (as before) left a read-only
  // primary with no record of why, which no rerun could resume (seen under a partition).
  std::string lifted;
  if (fence_ != nullptr) {
    core::Status lift = fence_->Lift();
    if (!lift.ok()) {
      return done + "; making the old primary writable again FAILED: " + lift.message() +
             " (it stays read-only, with its fence and the switchover's journal in " +
             plan_.old_primary.config_file + ": run the same switchover again to finish it)";
    }
    lifted = "; the old primary '" + plan_.old_primary.name + "' takes writes again";
  }
  if (fence_persisted_) {
    core::Status removed = RemovePersistedFence(*old_);
    done += removed.ok() ? "; the read_only block is gone from " + plan_.old_primary.config_file
                         : "; removing the read_only block from " + plan_.old_primary.config_file +
                               " FAILED: " + removed.message() +
                               " (a restart brings it back "
                               "read-only)";
  }
  return done + lifted;
}

}  // namespace

SwitchoverReport MariadbSwitchover::RunSwitchover(platform::Platform& platform,
                                                  const platform::Cluster& cluster,
                                                  const SwitchoverPlan& plan,
                                                  const SwitchoverOptions& options) {
  SwitchoverRun run(platform, cluster, plan, options);
  return RunSwitchoverSteps(plan, run);
}

std::unique_ptr<OperatorHandover> MariadbSwitchover::PrepareOperatorHandover(
    platform::Platform& platform, const platform::Cluster& cluster, const SwitchoverPlan& plan,
    const SwitchoverOptions& options, const std::string& operator_account) {
  return MakeOperatorHandover(platform, cluster, plan, options, operator_account);
}

}  // namespace hasteward::engine::mariadb
