#include "dr/standby_activation.h"

#include <filesystem>
#include <memory>

#include "core/poll_until.h"
#include "dr/demotion_marker.h"
#include "dr/dr.h"
#include "dr/replay_end.h"
#include "dr/source_probe.h"
#include "dr/standby_state.h"
#include "engine/binlog_archiving.h"
#include "engine/cluster_handle.h"
#include "engine/triage.h"
#include "jobs/jobs.h"
#include "pitr/binlog/binlog_restore.h"
#include "pitr/pitr.h"
#include "pitr/wal/wal_restore.h"

namespace hasteward::dr {

namespace {

std::string Absolute(const std::string& path) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.string();
}

std::string SourcePosition(const Discovery& discovery) {
  if (!discovery.archive) {
    return "no archive";
  }
  if (discovery.archive->wal) {
    return "wal " + discovery.archive->wal->name;
  }
  return "binlog archive, newest piece stored " + discovery.archive->newest_piece_at.Format();
}

// The one writable instance of a triage, or an error naming how many there are.
core::Result<engine::InstanceHealth> OnlyWritable(const engine::TriageReport& report) {
  const engine::InstanceHealth* writable = nullptr;
  int count = 0;
  for (const auto& health : report.instances) {
    if (health.writable) {
      writable = &health;
      ++count;
    }
  }
  if (count != 1) {
    return core::Status(
        core::ErrorCode::kSafetyStop,
        "the restored cluster has " + std::to_string(count) + " writable instances, not one",
        "run 'hasteward triage' on it; rerun 'standby activate' with a new token "
        "once it is fixed");
  }
  return *writable;
}

class PitrActivationSteps : public ActivationSteps {
 public:
  explicit PitrActivationSteps(const StandbyActivationOptions& options) : options_(options) {}

  core::Result<GateFacts> ReadGates() override {
    const StandbySpec& spec = options_.spec;
    HS_ASSIGN_OR_RETURN(repository_, OpenSourceRepository(spec.source));
    HS_ASSIGN_OR_RETURN(auto snapshots, repository_->ListSnapshots());
    HS_ASSIGN_OR_RETURN(source_engine_, engine::MakeEngine(spec.source.engine));
    discovery_ = Discover(snapshots, spec.SourceCluster(), source_engine_->archiving());
    marker_ = JudgeMarker(LoadDemotionMarker(*repository_, spec.SourceCluster()), discovery_,
                          source_engine_->archiving());
    Freshness freshness =
        EvaluateFreshness(discovery_, options_.clock->Now(), spec.freshness.max_staleness);
    // Restorable as `standby status` computes it: from the standby's own verification record.
    HS_ASSIGN_OR_RETURN(StandbyState state, LoadStandbyState(StandbyStateFile(spec)));
    auto conditions = EvaluateConditions(discovery_, freshness, state.verification);
    const Condition* restorable = FindCondition(conditions, ConditionType::kRestorable);
    GateFacts facts;
    facts.restorable = restorable != nullptr && restorable->status == ConditionStatus::kTrue;
    SourceProbe probe = ProbeSource(spec.source);
    facts.source = probe.state;
    facts.source_detail = probe.detail;
    if (!probe.detail.empty() && options_.log) {
      options_.log("source probe: " + probe.detail);
    }
    return facts;
  }

  core::Status Validate(ActivationAudit& audit) override {
    HS_TRY(OpenTarget());
    engine::ClusterHandle& target = *target_;
    if (!discovery_.newest_backup) {
      return core::NotFound(NoNativeBackup(discovery_),
                            "'hasteward standby status' shows what the standby discovers");
    }
    if (target.engine().binlog_archiving() == nullptr) {
      // Checked before Restoring stops anything: an s3: source without a declared credentials
      // file would otherwise fail only once the restored server asks for its first segment.
      HS_TRY(RestoreCommand().status());
    }
    audit.backup = discovery_.newest_backup->id;  // the base Restoring chooses replaces it
    audit.source_position = SourcePosition(discovery_);
    audit.requested = options_.spec.activation.point_in_time.value_or("");
    if (target.engine().binlog_archiving() == nullptr) {
      // Before anything is stopped: replay reaches the archive's newest segment at best, so an
      // archive short of a valid demotion marker is known to miss a piece now.
      HS_TRY(RecordEnd(LastArchivedSegment(), audit));
    }
    audit.cluster = std::string(platform::EngineKindName(target.cluster().engine)) + " " +
                    target.QualifiedName() + " (" +
                    std::to_string(target.cluster().instances.size()) + " instance(s))";
    return core::Status::Ok();
  }

  core::Status Restore(ActivationAudit& audit) override {
    HS_TRY(OpenTarget());
    engine::ClusterHandle& target = *target_;
    // A native restore replaces data directories of stopped instances only. Nothing here was
    // serving: the template cluster is the standby's own, not yet announced to any client.
    for (const auto& instance : target.cluster().instances) {
      HS_ASSIGN_OR_RETURN(bool running, target.platform().IsRunning(target.cluster(), instance));
      if (running) {
        HS_TRY(target.platform().StopInstance(target.cluster(), instance));
      }
    }
    if (target.engine().binlog_archiving() != nullptr) {
      return RestoreBinlogs(target, audit);
    }
    return RestoreWal(target, audit);
  }

  core::Status Replay(ActivationAudit& audit) override {
    HS_TRY(OpenTarget());
    engine::ClusterHandle& target = *target_;
    // The restore proved where replay stopped; here the restored primary must have left recovery
    // (promoted), which is what makes the new cluster the one that takes writes.
    HS_ASSIGN_OR_RETURN(auto report, engine::TriageCluster(target.platform(), target.cluster()));
    HS_ASSIGN_OR_RETURN(engine::InstanceHealth primary, OnlyWritable(report));
    audit.target_position = target.engine().DescribeInstanceHealth(primary).position;
    return core::Status::Ok();
  }

  core::Status Provision(ActivationAudit& audit) override {
    HS_TRY(OpenTarget());
    engine::ClusterHandle& target = *target_;
    for (const auto& instance : target.cluster().instances) {
      HS_ASSIGN_OR_RETURN(bool running, target.platform().IsRunning(target.cluster(), instance));
      if (!running) {
        HS_TRY(target.platform().StartInstance(target.cluster(), instance));
      }
    }
    core::Status last = core::Status::Ok();
    bool whole = core::PollUntil(
        [&] {
          auto report = engine::TriageCluster(target.platform(), target.cluster());
          last = report.ok() ? OnlyWritable(*report).status() : report.status();
          if (last.ok() && report->verdict != engine::Verdict::kHealthy) {
            last = core::Status(
                core::ErrorCode::kHealthDegraded,
                "the restored cluster is " + std::string(engine::VerdictName(report->verdict)));
          }
          if (last.ok()) {
            auto primary = OnlyWritable(*report);
            audit.target_position = target.engine().DescribeInstanceHealth(*primary).position;
          }
          return last.ok();
        },
        options_.spec.activation.restore_timeout, std::chrono::milliseconds(500));
    if (!whole) {
      return core::Status(core::ErrorCode::kTimeout,
                          "the restored cluster did not become whole within "
                          "activation.restoreTimeout: " +
                              last.message(),
                          "run 'hasteward triage' on it; rerun 'standby activate' with a new "
                          "token to resume at Provisioning");
    }
    return core::Status::Ok();
  }

 private:
  // The template's cluster, opened once per invocation into target_.
  core::Status OpenTarget() {
    if (target_) {
      return core::Status::Ok();
    }
    const ClusterTemplate& wanted = options_.spec.cluster_template;
    platform::PlatformOptions platform_options;
    if (!wanted.platform.empty()) {
      platform_options.name = wanted.platform;
    }
    platform_options.inventory_path = options_.inventory_path;
    HS_ASSIGN_OR_RETURN(platform_, platform::OpenPlatform(platform_options));
    auto cluster = platform_->FindCluster(wanted.ns, wanted.name);
    if (!cluster.ok()) {
      return cluster.TakeStatus().WithHint(
          "create the template's cluster first (local platform: 'hasteward sandbox up' or an "
          "inventory entry); activation restores into it");
    }
    if (cluster->engine != wanted.engine || wanted.engine != options_.spec.source.engine ||
        static_cast<int>(cluster->instances.size()) != wanted.instances) {
      return core::Usage("cluster '" + wanted.ns + "/" + wanted.name +
                             "' is not the template: " + platform::EngineKindName(cluster->engine) +
                             " with " + std::to_string(cluster->instances.size()) + " instance(s)",
                         "the template and the source must have the same engine, and the cluster "
                         "the template's instance count");
    }
    HS_ASSIGN_OR_RETURN(auto handle, engine::ClusterHandle::Open(*platform_, std::move(*cluster)));
    target_ = std::make_unique<engine::ClusterHandle>(std::move(handle));
    return core::Status::Ok();
  }

  engine::HealOptions Heal() const {
    engine::HealOptions heal;
    heal.stamp = jobs::JobStamp(options_.clock->NowUnixSeconds());
    heal.heal_timeout = options_.spec.activation.restore_timeout;
    heal.log = options_.log;
    return heal;
  }

  // The restored server's restore_command: wal-fetch from the source's repository with the
  // declared password and S3 credentials files (the server inherits neither).
  core::Result<std::string> RestoreCommand() const {
    const StandbySpec& spec = options_.spec;
    pitr::WalCommandContext context;
    context.binary = options_.binary;
    context.repository = spec.source.repository.find(':') == std::string::npos
                             ? Absolute(spec.source.repository)
                             : spec.source.repository;
    context.password_file = Absolute(spec.source.password_file);
    if (!spec.source.s3_credentials_file.empty()) {
      context.s3_credentials_file = Absolute(spec.source.s3_credentials_file);
    }
    context.cluster = spec.SourceCluster();
    HS_ASSIGN_OR_RETURN(engine::ArchiveCommands commands, pitr::BuildArchiveCommands(context));
    return commands.restore_command;
  }

  core::Status RestoreWal(engine::ClusterHandle& target, ActivationAudit& audit) {
    const StandbySpec& spec = options_.spec;
    pitr::PointRestoreOptions restore;
    if (spec.activation.point_in_time) {
      restore.target.kind = engine::RecoveryTargetKind::kTime;
      HS_ASSIGN_OR_RETURN(restore.target.time, repo::ParseGoTime(*spec.activation.point_in_time));
    } else {
      restore.target.kind = engine::RecoveryTargetKind::kEndOfArchive;
    }
    HS_ASSIGN_OR_RETURN(restore.restore_command, RestoreCommand());
    // The token is the confirmation, also of replacing what the target cluster holds (kept by the
    // discard gate); the target is another cluster than the backup's.
    restore.confirm_overwrite = true;
    restore.confirm_rewind = true;
    restore.force = true;
    restore.heal = Heal();
    restore.source = spec.SourceCluster();
    HS_ASSIGN_OR_RETURN(pitr::PointRestoreResult result,
                        pitr::RestoreToPoint(target, *repository_, restore));
    audit.backup = repo::IdToHex(result.plan.base.snapshot.id);
    audit.replay_stop = result.plan.target;
    uint64_t first = result.plan.base.stop / target.engine().archiving()->SegmentBytes();
    audit.replayed = result.plan.last_segment + 1 - first;
    // The plan proved replay reached the archive's newest segment (kEndOfArchive).
    return RecordEnd(LastArchivedSegment(), audit);
  }

  core::Status RestoreBinlogs(engine::ClusterHandle& target, ActivationAudit& audit) {
    const StandbySpec& spec = options_.spec;
    pitr::BinlogRestoreOptions restore;
    if (spec.activation.point_in_time) {
      HS_ASSIGN_OR_RETURN(auto time, repo::ParseGoTime(*spec.activation.point_in_time));
      restore.target = pitr::BinlogTarget::Time(time.unix_seconds);
    } else {
      restore.target = pitr::BinlogTarget::EndOfArchive();
    }
    restore.confirm_overwrite = true;
    restore.confirm_rewind = true;  // as RestoreWal's
    restore.force = true;
    restore.heal = Heal();
    restore.source = spec.SourceCluster();
    HS_ASSIGN_OR_RETURN(pitr::BinlogRestoreResult result,
                        pitr::RestoreBinlogsToPoint(target, *repository_, restore));
    audit.backup = repo::IdToHex(result.plan.base.id);
    audit.replay_stop = "GTID " + result.plan.final_state;
    audit.replayed = result.plan.transactions;
    // Checked only now: binlog positions live in the pieces' manifests, read by the restore. A
    // refusal here leaves the restored server up but the activation Failed, never Activated.
    return RecordEnd(result.plan.final_state, audit);
  }

  std::string LastArchivedSegment() const {
    return discovery_.archive && discovery_.archive->wal ? discovery_.archive->wal->name : "";
  }

  // What the audit says about the source's end (dr/replay_end.h), or the refusal when replay
  // reaches less than the source's valid demotion marker.
  core::Status RecordEnd(const std::string& reached, ActivationAudit& audit) const {
    ReplayEnd end =
        DecideReplayEnd(marker_, reached, options_.spec.activation.point_in_time.has_value(),
                        source_engine_ ? source_engine_->archiving() : nullptr);
    HS_TRY(end.refusal);
    audit.source_end = end.source;
    audit.source_end_detail = end.text;
    return core::Status::Ok();
  }

  const StandbyActivationOptions& options_;
  std::unique_ptr<engine::Engine> source_engine_;
  MarkerJudgement marker_;
  std::unique_ptr<repo::Repository> repository_;
  Discovery discovery_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<engine::ClusterHandle> target_;
};

}  // namespace

core::Result<ActivationRecord> RunStandbyActivation(const StandbyActivationOptions& options) {
  PitrActivationSteps steps(options);
  ActivateOptions activate;
  activate.record_file = ActivationRecordFile(StandbyStateFile(options.spec));
  activate.name = options.spec.name;
  activate.token = options.token;
  activate.accept_unverified = options.spec.activation.accept_unverified;
  activate.clock = options.clock;
  return ActivateStandby(steps, activate);
}

}  // namespace hasteward::dr
