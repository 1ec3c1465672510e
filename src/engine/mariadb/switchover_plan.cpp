// MariadbSwitchover::PlanSwitchover: the pre-checks on a fresh probe of every instance, and the
// plan --dry-run prints (read-only).
#include <optional>

#include "engine/mariadb/bypass_accounts.h"
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/persisted_fence.h"
#include "engine/mariadb/switchover.h"
#include "engine/mariadb/switchover_checks.h"

namespace hasteward::engine::mariadb {

namespace {

std::string Names(const std::vector<platform::Instance>& instances) {
  std::string out;
  for (const auto& i : instances)
    out += (out.empty() ? "'" : ", '") + i.name + "'";
  return out;
}

std::string BypassSummary(InstanceHandles& handles, const platform::Instance& primary) {
  auto handle = handles.Open(primary);
  if (!handle.ok())
    return "(accounts not readable: " + handle.status().message() + ")";
  auto conn = MariadbConnection::ConnectInstance(**handle);
  if (!conn.ok())
    return "(accounts not readable: " + conn.status().message() + ")";
  auto exempt = ReadFenceExemptions(handles.cluster(), **conn);
  if (!exempt.ok())
    return "(accounts not readable: " + exempt.status().message() + ")";
  auto bypass = FindBypass(**conn, *exempt);
  if (!bypass.ok())
    return "(accounts not readable: " + bypass.status().message() + ")";
  std::string out;
  for (const auto& holder : bypass->holders)
    out += (out.empty() ? "" : ", ") + holder.description();
  std::string own = "kill every session of HASteward's own account '" + exempt->own_user +
                    "' but its own (an application sharing it would write through read_only)";
  if (out.empty())
    return "no other account can write through read_only; " + own;
  std::string users;
  for (const auto& user : bypass->session_users)
    users += (users.empty() ? "'" : ", '") + user + "'";
  return "take the bypass from " + out + (users.empty() ? "" : "; kill the sessions of " + users) +
         "; " + own;
}

const InstanceProbe* Named(const std::vector<InstanceProbe>& probes, const std::string& name) {
  for (const auto& probe : probes) {
    if (probe.instance->name == name)
      return &probe;
  }
  return nullptr;
}

bool Writable(const InstanceProbe& probe) {
  return probe.status.ok() && probe.replication.empty() && !probe.read_only;
}

// A switchover that an earlier run began and did not finish (hasteward was killed): its old
// primary is read-only, replicates from no one and journals "switchover to X in progress" in its
// fence block. Before the promotion the candidate still replicates; after it, it is writable.
// With --to naming the primary and nothing half-done, the switch happened: only prove it.
std::optional<SwitchoverPlan> PlanResume(InstanceHandles& handles,
                                         const std::vector<InstanceProbe>& probes,
                                         const std::string& requested) {
  for (const auto& old : probes) {
    if (!old.status.ok() || !old.replication.empty() || !old.read_only)
      continue;
    auto old_handle = handles.Open(*old.instance);
    if (!old_handle.ok())
      continue;
    auto candidate_name = InterruptedSwitchoverCandidate(ReadFenceNotes(**old_handle));
    if (!candidate_name || (!requested.empty() && requested != *candidate_name))
      continue;
    const InstanceProbe* candidate = Named(probes, *candidate_name);
    if (candidate == nullptr || !candidate->status.ok())
      continue;
    bool promoted = Writable(*candidate);
    if (!promoted && candidate->replication.empty())
      continue;
    SwitchoverPlan plan;
    plan.old_primary = *old.instance;
    plan.candidate = *candidate->instance;
    for (const auto& other : probes) {
      if (&other != &old && &other != candidate)
        plan.others.push_back(*other.instance);
    }
    plan.resumes_after = promoted ? SwitchoverStep::kPromote : SwitchoverStep::kFence;
    plan.reason = "finishing the interrupted switchover from '" + old.instance->name + "' to '" +
                  *candidate_name + "' (its journal is in the fence block of " +
                  old.instance->config_file + ")";
    plan.steps = {"resume after '" + std::string(SwitchoverStepName(*plan.resumes_after)) +
                  "': the steps after it, as in a switchover"};
    return plan;
  }
  const InstanceProbe* primary = requested.empty() ? nullptr : Named(probes, requested);
  int writable = 0;
  for (const auto& probe : probes)
    writable += Writable(probe) ? 1 : 0;
  if (primary == nullptr || !Writable(*primary) || writable != 1)
    return std::nullopt;  // the ordinary checks refuse what is wrong
  SwitchoverPlan plan;
  plan.old_primary = *primary->instance;
  plan.candidate = *primary->instance;
  plan.resumes_after = SwitchoverStep::kRepoint;
  plan.reason = "'" + requested + "' is the primary already";
  plan.steps = {"prove-writable: a probe write on '" + requested + "' must be accepted"};
  return plan;
}

}  // namespace

core::Result<SwitchoverPlan> MariadbSwitchover::PlanSwitchover(platform::Platform& platform,
                                                               const platform::Cluster& cluster,
                                                               const SwitchoverOptions& options) {
  InstanceHandles handles(platform, cluster);
  std::vector<InstanceProbe> probes = ProbeForSwitchover(handles);
  if (auto resumed = PlanResume(handles, probes, options.candidate))
    return *resumed;
  HS_ASSIGN_OR_RETURN(SwitchoverTopology topology,
                      CheckSwitchover(cluster, probes, options.candidate));
  SwitchoverPlan plan;
  plan.old_primary = *topology.primary->instance;
  plan.candidate = *topology.candidate->instance;
  for (const auto* other : topology.others)
    plan.others.push_back(*other->instance);
  auto position = topology.candidate->vars.find("gtid_current_pos");
  plan.reason =
      (options.candidate.empty() ? "most advanced healthy replica" : "requested with --to") +
      std::string(", at ") + (position == topology.candidate->vars.end() ? "?" : position->second);
  const std::string& old_name = plan.old_primary.name;
  const std::string& new_name = plan.candidate.name;
  std::string seconds = std::to_string(static_cast<double>(options.timeout.count()) / 1000.0);
  seconds.erase(seconds.find_last_not_of('0') + 1);
  if (!seconds.empty() && seconds.back() == '.')
    seconds.pop_back();
  plan.steps = {
      "pre-check: '" + new_name + "' " + topology.candidate_summary + "; semi-sync " +
          (topology.semisync ? "on (or unreadable: treated as on)" : "off"),
      "fence '" + old_name + "': read_only = ON persisted in " +
          (plan.old_primary.config_file.empty() ? "(no config file in the inventory)"
                                                : plan.old_primary.config_file) +
          "; " + BypassSummary(handles, plan.old_primary) + "; read_only=ON",
      "prove-fence: a probe account's write on '" + old_name +
          "' must be refused and its gtid_binlog_pos stay still",
      "catch-up: wait at most " + seconds + "s until '" + new_name +
          "' applied exactly the final GTID set of '" + old_name + "'",
      "promote '" + new_name + "': STOP SLAVE, RESET SLAVE ALL, " +
          (topology.semisync ? "semi-sync master on, " : "") + "read_only=OFF",
      "repoint '" + old_name + "'" + (plan.others.empty() ? "" : ", " + Names(plan.others)) +
          " to '" + new_name + "' (CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos)",
      "prove-writable: a probe write on '" + new_name + "' must be accepted and reach '" +
          old_name + "'",
      "on an abort before the promotion, '" + old_name +
          "' is made writable again and the persisted read_only removed",
  };
  return plan;
}

}  // namespace hasteward::engine::mariadb
