#include "engine/galera/native_backup.h"

#include <charconv>

#include "core/failpoint.h"
#include "core/log.h"
#include "engine/galera/repair.h"
#include "engine/galera/wsrep_desync.h"
#include "engine/instance_handles.h"
#include "engine/mariadb/binlog_gtid_at.h"
#include "engine/mariadb/held_data_judge.h"
#include "engine/mariadb/persisted_fence.h"
#include "engine/repair_exec.h"

namespace hasteward::engine::galera {

namespace {

// The MariaDB backup stream with the GTID position added to its facts at its end.
class GaleraNativeStream : public NativeBackupStream {
 public:
  GaleraNativeStream(std::unique_ptr<NativeBackupStream> inner, platform::Platform& platform,
                     platform::Cluster cluster, platform::Instance source)
      : inner_(std::move(inner)),
        platform_(platform),
        cluster_(std::move(cluster)),
        source_(std::move(source)) {}

  core::Result<std::optional<NativeMember>> Next() override {
    HS_ASSIGN_OR_RETURN(auto member, inner_->Next());
    if (!member.has_value() && !completed_) {
      HS_TRY(AddGtidPosition());
      completed_ = true;
    }
    return member;
  }
  core::Result<size_t> ReadContent(std::span<uint8_t> buf) override {
    return inner_->ReadContent(buf);
  }
  std::map<std::string, std::string> metadata() const override { return metadata_; }
  uint64_t bytes_read() const override { return inner_->bytes_read(); }

 private:
  core::Status AddGtidPosition() {
    metadata_ = inner_->metadata();
    auto file = metadata_.find("binlog_file");
    auto pos = metadata_.find("binlog_pos");
    // No binlog (log_bin off): no position, and no point-in-time base. What mariadb-backup wrote
    // as the GTID (gtid_current_pos) is replaced even where it is not empty: it leaves out every
    // domain whose write sets carry another node's server id.
    if (file == metadata_.end() || pos == metadata_.end()) {
      return core::Status::Ok();
    }
    uint64_t offset = 0;
    auto parsed =
        std::from_chars(pos->second.data(), pos->second.data() + pos->second.size(), offset);
    if (parsed.ec != std::errc() || parsed.ptr != pos->second.data() + pos->second.size()) {
      return core::Status(
          core::ErrorCode::kCorruption,
          "mariadb-backup recorded binlog position '" + pos->second + "', which is not a number",
          "take the backup again");
    }
    HS_ASSIGN_OR_RETURN(
        metadata_["gtid_position"],
        mariadb::GtidStateAtBinlogPosition(platform_, cluster_, source_, file->second, offset));
    return core::Status::Ok();
  }

  std::unique_ptr<NativeBackupStream> inner_;
  platform::Platform& platform_;
  platform::Cluster cluster_;
  platform::Instance source_;
  std::map<std::string, std::string> metadata_;
  bool completed_ = false;
};

void Log(const NativeRestoreOptions& options, const std::string& line) {
  core::LogInfo(line);
  if (options.heal.log) {
    options.heal.log(line);
  }
}

// Before a binlog replay (NativeRestoreOptions::stay_read_only) every node is fenced before it
// starts: Galera keeps read_only per node, and a client writing through any node during the replay
// would put its write set into the half-replayed history.
core::Status FenceBeforeReplay(InstanceHandles& handles, const platform::Instance& node,
                               const NativeRestoreOptions& options) {
  if (!options.stay_read_only) {
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(node));
  return mariadb::PersistRestoreFence(*handle);
}

// The same once the node answers, for a node whose configuration could not carry the fence.
core::Status ReadOnlyBeforeReplay(InstanceHandles& handles, const platform::Instance& node,
                                  const NativeRestoreOptions& options) {
  if (!options.stay_read_only) {
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * handle, handles.Open(node));
  return mariadb::SetReadOnly(*handle, true);
}

}  // namespace

core::Result<std::unique_ptr<NativeBackupStream>> GaleraNativeBackup::OpenNativeBackup(
    platform::Platform& platform, const platform::Cluster& cluster, const BackupPlan& plan,
    size_t block_size) {
  HS_ASSIGN_OR_RETURN(auto inner,
                      MariadbNativeBackup::OpenNativeBackup(platform, cluster, plan, block_size));
  return std::unique_ptr<NativeBackupStream>(
      std::make_unique<GaleraNativeStream>(std::move(inner), platform, cluster, plan.source));
}

std::vector<std::string> GaleraNativeBackup::SourceFlags(const BackupPlan& /*plan*/) const {
  return {"--galera-info"};  // the cluster UUID and seqno a restored node bootstraps at
}

core::Result<std::unique_ptr<mariadb::BackupHold>> GaleraNativeBackup::HoldSource(
    const platform::InstanceHandle& source) {
  HS_ASSIGN_OR_RETURN(auto desync, WsrepDesync::Start(source));
  return std::unique_ptr<mariadb::BackupHold>(std::move(desync));
}

core::Status GaleraNativeBackup::CheckRestorable(platform::Platform& platform,
                                                 const platform::Cluster& cluster) {
  // The restored node must be started with --wsrep-new-cluster (BootstrapNode), which an operator
  // that owns the pods does not offer (mariadb-operator keeps bootstrapping to its own recovery).
  for (const auto& node : cluster.instances) {
    HS_ASSIGN_OR_RETURN(auto handle, platform.OpenInstance(cluster, node));
    if (handle->capabilities().Has(platform::Capability::kOperatorOwnsLifecycle)) {
      return core::Usage("a galera native restore bootstraps a new cluster from '" + node.name +
                             "', which its operator does not let hasteward start that way",
                         "restore a logical backup, or run the native restore with `hasteward "
                         "--platform local` on the nodes' hosts (docs/native-backups.md)");
    }
  }
  return core::Status::Ok();
}

core::Result<const platform::Instance*> GaleraNativeBackup::ChooseRestoreTarget(
    platform::Platform& platform, const platform::Cluster& cluster,
    const std::map<std::string, std::string>& facts) {
  // Refused before anything is stopped or written.
  HS_TRY(CheckRestorable(platform, cluster));
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

// Why the restored cluster gets a new cluster state UUID (docs/restore.md, "A restore starts a new
// history"): bootstrapped at the backup's position it would continue the backup's UUID and seqno,
// so its next write sets would be numbered like the ones the abandoned history committed after the
// backup, and a node of the abandoned history (stopped before the restore, never rebuilt: the
// restore was killed, or the node was not in the inventory) would be compared with the new history
// by seqno alone: re-cloned as "behind" by repair, or joined by incremental state transfer, which
// applies the new history's write sets on top of the other history's data. Under a new UUID every
// judgement (triage, the authority rule, the bootstrap choice, the discard gate) sees two
// histories and refuses to order them.
core::Status GaleraNativeBackup::StartAndRebuild(platform::Platform& platform,
                                                 const platform::Cluster& cluster,
                                                 const NativeRestorePlan& plan,
                                                 const NativeRestoreOptions& options) {
  const std::string backup_position =
      plan.facts.at("wsrep_uuid") + ":" + plan.facts.at("wsrep_seqno");
  InstanceHandles handles(platform, cluster);
  HS_TRY(FenceBeforeReplay(handles, plan.target, options));
  auto uuid = BootstrapNewHistory(platform, cluster, plan.target, options.heal);
  if (!uuid.ok())
    return uuid.TakeStatus().Wrap("bootstrap '" + plan.target.name + "' on the restored data");
  Log(options, "the restored cluster starts a new history: cluster state UUID " + *uuid +
                   " (the backup was taken at " + backup_position + ")");
  HS_TRY(ReadOnlyBeforeReplay(handles, plan.target, options));
  core::Failpoint("native-restore-started");
  for (const auto& node : plan.rebuild) {
    // Why the whole data directory goes aside, not only grastate.dat: the server recovers its
    // position from InnoDB when grastate.dat is missing, and a node that committed after the
    // backup then refuses to join the restored cluster (or, on the backup's UUID, would be
    // given the new history's write sets on top of its own). With an empty data directory it
    // joins by a full state transfer; the old one is kept.
    HS_ASSIGN_OR_RETURN(
        auto kept, MoveDataDirectoryAside(
                       platform, cluster, node,
                       node.data_dir + ".hasteward-replaced-" + options.heal.stamp, options.heal));
    if (kept) {
      Log(options, "kept the data directory of '" + node.name + "' at '" + *kept +
                       "'; it joins by a full state transfer");
    }
    HS_TRY(FenceBeforeReplay(handles, node, options));
    HS_TRY(RejoinNode(platform, cluster, node, options.heal)
               .Wrap("join '" + node.name + "' to the restored '" + plan.target.name + "'"));
    HS_TRY(ReadOnlyBeforeReplay(handles, node, options));
    core::Failpoint("native-restore-recloned");
  }
  return core::Status::Ok();
}

HeldDataJudgement GaleraNativeBackup::JudgeHeldData(
    const InstanceHealth& fresh, const std::map<std::string, std::string>& replacement) const {
  return mariadb::JudgeGaleraHeldData(fresh, replacement);
}

}  // namespace hasteward::engine::galera
