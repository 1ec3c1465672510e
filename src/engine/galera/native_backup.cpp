#include "engine/galera/native_backup.h"

#include <charconv>

#include "core/log.h"
#include "engine/galera/repair.h"
#include "engine/galera/wsrep_desync.h"

namespace hasteward::engine::galera {

std::vector<std::string> GaleraNativeBackup::SourceFlags(const BackupPlan& /*plan*/) const {
  return {"--galera-info"};  // the cluster UUID and seqno a restored node bootstraps at
}

core::Result<std::unique_ptr<mariadb::BackupHold>> GaleraNativeBackup::HoldSource(
    const platform::Cluster& cluster, const BackupPlan& plan) {
  HS_ASSIGN_OR_RETURN(auto desync, WsrepDesync::Start(cluster, plan.source));
  return std::unique_ptr<mariadb::BackupHold>(std::move(desync));
}

core::Result<const platform::Instance*> GaleraNativeBackup::ChooseRestoreTarget(
    platform::Platform& platform, const platform::Cluster& cluster,
    const std::map<std::string, std::string>& facts) {
  // A node restored while others run would bootstrap a second Primary component beside theirs.
  std::string running;
  for (const auto& node : cluster.instances) {
    HS_ASSIGN_OR_RETURN(bool up, platform.IsRunning(cluster, node));
    if (up) {
      running += (running.empty() ? "'" : ", '") + node.name + "'";
    }
  }
  if (!running.empty()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "galera nodes " + running +
                            " are running; a native restore bootstraps a new cluster from one "
                            "node and the others join it",
                        "stop every node ('hasteward instance stop -c " + cluster.name + " -n " +
                            cluster.ns + " -i N'), then restore again");
  }
  auto seqno = facts.find("wsrep_seqno");
  if (seqno == facts.end() || !facts.count("wsrep_uuid")) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "the snapshot holds no galera position (mariadb_backup_galera_info)",
                        "restore a native snapshot taken from a galera node");
  }
  auto source = facts.find("source_instance");
  for (const auto& node : cluster.instances) {
    if (source != facts.end() && node.name == source->second) {
      return &node;
    }
  }
  const platform::Instance* first = cluster.FindInstance(0);
  if (first == nullptr) {
    return core::NotFound("cluster '" + cluster.ns + "/" + cluster.name + "' has no instance 0",
                          "add its instances to the inventory");
  }
  return first;
}

core::Status GaleraNativeBackup::StartAndRebuild(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 const NativeRestorePlan& plan,
                                                 const NativeRestoreOptions& options) {
  GaleraPosition position;
  position.uuid = plan.facts.at("wsrep_uuid");
  const std::string& seqno = plan.facts.at("wsrep_seqno");
  auto parsed = std::from_chars(seqno.data(), seqno.data() + seqno.size(), position.seqno);
  if (parsed.ec != std::errc() || parsed.ptr != seqno.data() + seqno.size()) {
    return core::Status(core::ErrorCode::kCorruption,
                        "the snapshot's wsrep_seqno '" + seqno + "' is not a number",
                        "restore another native snapshot");
  }
  position.source = "backup";
  HS_TRY(BootstrapNode(platform, cluster, plan.target, position, options.heal)
             .Wrap("bootstrap '" + plan.target.name + "' on the restored data"));
  for (const auto& node : plan.rebuild) {
    // HealNode keeps the node's grastate.dat, removes it and starts the node: it joins by a full
    // state transfer from the restored node, whatever its old data held.
    HS_TRY(HealNode(platform, cluster, node, options.heal)
               .Wrap("join '" + node.name + "' to the restored '" + plan.target.name + "'"));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::engine::galera
