// MariadbEngine's repair rules and heal: a replica is re-cloned from the primary by a dump
// (engine/mariadb/repair.h); the authority rule compares GTID sets.
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/mariadb_engine.h"
#include "engine/mariadb/repair.h"
#include "engine/mariadb/triage.h"

namespace hasteward::engine::mariadb {

bool MariadbEngine::DonorCandidate(const InstanceHealth& h) const {
  return h.writable && h.role == InstanceRole::kPrimary;
}

std::string MariadbEngine::NoDonorReason() const {
  return "no writable primary answers";
}

// A replica holding GTIDs the primary lacks (errant, or written locally) is either the authority
// (it holds everything the primary has and more) or diverged (healable only under --force).
std::string MariadbEngine::AuthorityObjection(const InstanceHealth& t, const InstanceHealth& d,
                                              bool split_brain_forced) const {
  if (t.state == InstanceState::kStopped)
    return "";  // started and re-checked before healing
  if (!t.readable())
    return "the position of " + t.quoted_name() + " could not be read (UNKNOWN)";
  std::string mine = t.Fact("gtid_current_pos"), theirs = d.Fact("gtid_binlog_pos");
  std::string extra = ErrantGtids(mine, theirs);
  if (extra.empty())
    extra = UnreceivedLocalGtids(t, d);
  if (extra.empty())
    return "";
  if (ErrantGtids(theirs, mine).empty()) {
    return t.quoted_name() + " holds every transaction of the primary " + d.quoted_name() +
           " and more (" + extra + "): it is the authority, not the primary";
  }
  return split_brain_forced
             ? ""
             : t.quoted_name() + " holds transactions the primary lacks (" + extra + ")";
}

core::Result<BackupPlan> MariadbFamilyEngine::PlanBackupOf(platform::Platform& platform,
                                                           const platform::Cluster& cluster,
                                                           const platform::Instance& instance,
                                                           InstanceRole role) {
  HS_ASSIGN_OR_RETURN(BackupPlan plan, Engine::PlanBackupOf(platform, cluster, instance, role));
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, instance));
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(*handle));
  HS_ASSIGN_OR_RETURN(auto log_bin, conn->GlobalVariable("log_bin"));
  plan.metadata["log_bin"] = log_bin.value_or("OFF");
  // Captures are taken from whatever state the instance is in (diverged, broken replication):
  // without a binlog it is dumped like a primary, never with --dump-slave, which stops the SQL
  // thread of a replication setup that may not work.
  if (plan.metadata["log_bin"] != "ON" && role == InstanceRole::kReplica)
    plan.role = InstanceRole::kPrimary;
  return plan;
}

core::Status MariadbEngine::PrepareToHeal(platform::Platform& platform,
                                          const platform::Cluster& cluster,
                                          const platform::Instance& target,
                                          const HealOptions& options) {
  // A stopped replica's GTID position lives in the server, not in a file triage can read: start
  // it so the authority re-check sees what it holds before anything is dropped.
  HS_ASSIGN_OR_RETURN(bool running, platform.IsRunning(cluster, target));
  if (running)
    return core::Status::Ok();
  HS_TRY(platform.StartInstance(cluster, target).Wrap("start '" + target.name + "'"));
  if (options.log)
    options.log("started '" + target.name + "' to read its position");
  // Started is not answering: a pod an operator's StatefulSet brings back runs before its server
  // accepts connections, and a position read too early is "unknown" (seen in CI under load, where
  // the gate then took the replica's data for unknown). A rejected login ends the wait too: the
  // read reports it.
  HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, target));
  return WaitAcceptsConnections(*handle, options.heal_timeout);
}

core::Status MariadbEngine::HealInstance(platform::Platform& platform,
                                         const platform::Cluster& cluster,
                                         const platform::Instance& target,
                                         const platform::Instance& donor,
                                         const HealOptions& options) {
  return HealReplica(platform, cluster, target, donor, options);
}

}  // namespace hasteward::engine::mariadb
