// GaleraEngine's repair rules and heal: a node rejoins by state transfer from the running
// cluster; a cluster whose every node is down is bootstrapped from its most advanced node
// (engine/galera/repair.h). The authority rule compares committed seqnos of one cluster UUID.
#include "engine/galera/galera_engine.h"
#include "engine/galera/repair.h"
#include "engine/galera/triage_recover.h"

namespace hasteward::engine::galera {

bool GaleraEngine::DonorCandidate(const InstanceHealth& h) const {
  return h.state == InstanceState::kHealthy;  // Synced in a Primary component
}

std::string GaleraEngine::NoDonorReason() const {
  return "no node is Synced in a Primary component";
}

std::string GaleraEngine::AuthorityObjection(const InstanceHealth& t, const InstanceHealth& d,
                                             bool split_brain_forced) const {
  auto pt = PositionFromFacts(t), pd = PositionFromFacts(d);
  if (!pt.valid()) {
    return "the committed position of " + t.quoted_name() +
           " could not be read (UNKNOWN: " + t.Fact("position_error") +
           "); it may hold the most advanced data";
  }
  if (!pd.valid())
    return "the donor's position could not be read";
  if (pt.uuid != pd.uuid) {
    return split_brain_forced
               ? ""
               : t.quoted_name() + " belongs to another cluster history (UUID " + pt.uuid + ")";
  }
  if (pt.seqno > pd.seqno) {
    return t.quoted_name() + " has committed seqno " + std::to_string(pt.seqno) +
           ", ahead of the cluster's " + std::to_string(pd.seqno) + ": it is the authority";
  }
  return "";
}

// No node in a Primary component: nothing to rejoin, so the cluster must be bootstrapped.
bool GaleraEngine::NeedsBootstrap(const TriageReport& r) const {
  for (const auto& h : r.instances) {
    if (h.readable() && h.Fact("wsrep_cluster_status") == "Primary")
      return false;
  }
  return true;
}

// Every node's position must be known and share one UUID: bootstrapping from a node that is not
// the most advanced would discard the commits of the others. The bootstrap node is the highest
// seqno (ties: safe_to_bootstrap=1, then the lowest ordinal).
core::Status GaleraEngine::PlanBootstrap(const TriageReport& r, RepairPlan* plan) const {
  int best = -1;
  long long best_seqno = -1;
  std::string uuid;
  for (size_t n = 0; n < r.instances.size(); ++n) {
    const auto& h = r.instances[n];
    auto p = PositionFromFacts(h);
    if (!p.valid()) {
      return core::Status(core::ErrorCode::kSafetyStop,
                          "refusing to bootstrap: the committed position of " + h.quoted_name() +
                              " is UNKNOWN (" + h.Fact("position_error") +
                              "); it may be the most advanced node",
                          "make the node's data directory readable (or its wsrep-recover succeed) "
                          "and run 'hasteward triage' again; never bootstrap blind");
    }
    if (!uuid.empty() && p.uuid != uuid) {
      return core::Status(core::ErrorCode::kSplitBrain,
                          "refusing to bootstrap: nodes hold different cluster UUIDs (" + uuid +
                              ", " + p.uuid + ")",
                          "decide which history survives; back up each node first");
    }
    uuid = p.uuid;
    bool better = p.seqno > best_seqno ||
                  (p.seqno == best_seqno && h.Fact("grastate_safe_to_bootstrap") == "1");
    if (better) {
      best = static_cast<int>(n);
      best_seqno = p.seqno;
    }
  }
  if (best < 0)
    return core::NotFound("cluster '" + r.cluster + "' has no nodes");
  const auto& b = r.instances[static_cast<size_t>(best)];
  plan->bootstrap = b.instance;
  plan->notes.push_back("bootstrap from " + b.quoted_name() + ": highest committed seqno " +
                        std::to_string(best_seqno) + " of cluster " + uuid);
  for (const auto& h : r.instances) {
    if (&h == &b)
      continue;
    plan->heals.push_back(
        {h.instance, "rejoin the bootstrapped cluster (seqno " + h.Fact("position_seqno") + ")"});
  }
  return core::Status::Ok();
}

core::Status GaleraEngine::HealInstance(platform::Platform& platform,
                                        const platform::Cluster& cluster,
                                        const platform::Instance& target,
                                        const platform::Instance& /*donor*/,
                                        const HealOptions& options) {
  return HealNode(platform, cluster, target, options);  // the cluster picks the SST donor
}

core::Status GaleraEngine::BootstrapInstance(platform::Platform& platform,
                                             const platform::Cluster& cluster,
                                             const InstanceHealth& node,
                                             const HealOptions& options) {
  return BootstrapNode(platform, cluster, node.instance, PositionFromFacts(node), options);
}

core::Status GaleraEngine::RejoinInstance(platform::Platform& platform,
                                          const platform::Cluster& cluster,
                                          const platform::Instance& node,
                                          const HealOptions& options) {
  return RejoinNode(platform, cluster, node, options);
}

}  // namespace hasteward::engine::galera
