#include "dr/standby_activation.h"

#include <filesystem>
#include <memory>

#include "core/poll_until.h"
#include "dr/demotion_marker.h"
#include "dr/dr.h"
#include "dr/replay_end.h"
#include "dr/source_probe.h"
#include "dr/standby_state.h"
#include "engine/cluster_handle.h"
#include "engine/triage.h"
#include "jobs/jobs.h"
#include "pitr/archive.h"
#include "pitr/pitr.h"

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
    HS_ASSIGN_OR_RETURN(pitr::PointRestoreRequest request, Request());
    // Checked before Restoring stops anything: an s3: source without a declared credentials
    // file would otherwise fail only once the restored server asks for its first segment.
    HS_TRY(archive_->CheckRequest(request));
    audit.backup = discovery_.newest_backup->id;  // the base Restoring chooses replaces it
    audit.source_position = SourcePosition(discovery_);
    audit.requested = options_.spec.activation.point_in_time.value_or("");
    if (!LastArchivedSegment().empty()) {
      // Before anything is stopped: where discovery knows the archive's newest position (WAL
      // names it in its tags), replay reaches it at best, so an archive short of a valid demotion
      // marker is known to miss a piece now.
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
    return RestoreToPoint(target, audit);
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
    HS_ASSIGN_OR_RETURN(archive_, pitr::MakeArchive(target_->engine(), "DR activation"));
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

  // The request of this activation: the declared point or the archive's end, replacing what the
  // template cluster holds (the token is the confirmation; the discard gate keeps that data), from
  // the source's backups and archive.
  core::Result<pitr::PointRestoreRequest> Request() const {
    const StandbySpec& spec = options_.spec;
    pitr::PointRestoreRequest request;
    if (spec.activation.point_in_time) {
      HS_ASSIGN_OR_RETURN(auto time, repo::ParseGoTime(*spec.activation.point_in_time));
      request.point = pitr::RestorePoint::Time(time);
    }
    request.server_restore_command = [this] {
      return RestoreCommand();
    };
    request.confirm_overwrite = true;
    request.confirm_rewind = true;
    request.force = true;  // the target is another cluster than the backup's
    request.heal = Heal();
    request.source = spec.SourceCluster();
    return request;
  }

  core::Status RestoreToPoint(engine::ClusterHandle& target, ActivationAudit& audit) {
    HS_ASSIGN_OR_RETURN(pitr::PointRestoreRequest request, Request());
    HS_ASSIGN_OR_RETURN(pitr::PointRestoreOutcome outcome,
                        archive_->RestoreToPoint(target, *repository_, request));
    audit.backup = repo::IdToHex(outcome.base.id);
    audit.replay_stop = outcome.stopped_at;
    audit.replayed = outcome.replayed;
    // WAL: the plan proved replay reached the archive's newest segment, which discovery named.
    // Binlogs: positions live in the pieces' manifests, read by the restore, so the check comes
    // only now; a refusal here leaves the restored server up but the activation Failed, never
    // Activated.
    return RecordEnd(LastArchivedSegment().empty() ? outcome.reached_end : LastArchivedSegment(),
                     audit);
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
  std::unique_ptr<pitr::Archive> archive_;  // the target's engine's, made with target_
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
