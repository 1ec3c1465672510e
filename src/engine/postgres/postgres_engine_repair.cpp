// PostgresEngine's repair rules and heal: a standby is re-cloned from the primary
// (engine/postgres/repair.h); the authority rule compares timeline lineages.
#include "engine/postgres/postgres_engine.h"
#include "engine/postgres/repair.h"
#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine::postgres {

bool PostgresEngine::DonorCandidate(const InstanceHealth& h) const {
  return h.writable && h.role == InstanceRole::kPrimary;
}

std::string PostgresEngine::NoDonorReason() const {
  return "no writable primary answers";
}

// Compares the target's lineage (timeline history + position) with the primary's: a target that
// is ahead on the primary's own timeline holds WAL the primary lacks (it is the authority); one
// on a forked timeline has diverged (healable only under --force, after its capture).
std::string PostgresEngine::AuthorityObjection(const InstanceHealth& t, const InstanceHealth& d,
                                               bool split_brain_forced) const {
  auto lt = LineageFromFacts(t), ld = LineageFromFacts(d);
  if (!lt.known()) {
    if (t.Fact("data_dir_state") == "missing")
      return "";
    return "the position of " + t.quoted_name() + " could not be read (UNKNOWN" +
           (t.Fact("controldata_error").empty() ? "" : ": " + t.Fact("controldata_error")) +
           "); it may hold the most advanced data";
  }
  if (t.readable() && t.Fact("wal_receiver_status") == "streaming" && lt.timeline == ld.timeline) {
    return "";  // it is receiving from the primary: it cannot hold anything the primary lacks
  }
  switch (CompareLineage(lt, ld)) {
    case LineageRelation::kAhead:
      return t.quoted_name() + " (timeline " + std::to_string(lt.timeline) + " at " +
             FormatLsn(lt.lsn) + ") holds WAL the primary " + d.quoted_name() +
             " lacks: it is the authority, not the primary";
    case LineageRelation::kForked:
      return split_brain_forced
                 ? ""
                 : t.quoted_name() + " has diverged from the primary " + d.quoted_name();
    case LineageRelation::kUnknown: return "the primary's position could not be read";
    default: return "";
  }
}

core::Status PostgresEngine::HealInstance(platform::Platform& platform,
                                          const platform::Cluster& cluster,
                                          const platform::Instance& target,
                                          const platform::Instance& donor,
                                          const HealOptions& options) {
  return HealStandby(platform, cluster, target, donor, options);
}

}  // namespace hasteward::engine::postgres
