// CheckStandby: one discovery of a standby (dr/dr.h).
#include <memory>

#include "core/fd.h"
#include "dr/demotion_marker.h"
#include "dr/dr.h"
#include "dr/standby_cursor.h"
#include "dr/standby_state.h"
#include "engine/engine.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward::dr {

namespace {

core::Result<std::string> ReadPassword(const std::string& path) {
  auto content = core::ReadFileToString(path);
  if (!content.ok()) {
    return core::Usage("cannot read the source password file '" + path + "'",
                       "check source.passwordFile in the standby declaration");
  }
  std::string password = *content;
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  return password;
}

// The source repository, opened and listed. Open writes nothing and listing takes no lock: only
// the cursor (written later) needs write access, to its own object.
struct OpenedSource {
  std::unique_ptr<repo::Repository> repository;
  std::vector<repo::Snapshot> snapshots;
};

core::Result<OpenedSource> ListSource(const SourceSpec& source) {
  OpenedSource opened;
  HS_ASSIGN_OR_RETURN(opened.repository, OpenSourceRepository(source));
  HS_ASSIGN_OR_RETURN(opened.snapshots, opened.repository->ListSnapshots());
  return opened;
}

}  // namespace

core::Result<std::unique_ptr<repo::Repository>> OpenSourceRepository(const SourceSpec& source) {
  storage::OpenOptions options = storage::DefaultOpenOptions();
  std::string password;
  if (source.secrets) {
    // A StandbyCluster's Secrets, read by the operator into memory: no file holds them.
    password = source.secrets->password;
    options.environment = source.secrets->env;
  } else {
    HS_ASSIGN_OR_RETURN(password, ReadPassword(source.password_file));
  }
  options.s3_credentials_file = source.s3_credentials_file;
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(source.repository, options));
  return repo::Repository::Open(std::move(backend), password);
}

core::Result<StandbyReport> CheckStandby(const StandbySpec& spec, const CheckOptions& options) {
  StandbyReport report;
  report.name = spec.name;
  report.repository = spec.source.repository;
  report.source = spec.SourceCluster();
  report.state_file = StandbyStateFile(spec);
  auto now = options.clock->Now();
  report.checked_at = options.clock->NowUnixSeconds();
  HS_ASSIGN_OR_RETURN(report.activation,
                      LoadActivationRecord(ActivationRecordFile(report.state_file)));
  auto source = ListSource(spec.source);
  if (source.ok()) {
    report.readable = true;
    HS_ASSIGN_OR_RETURN(auto engine, engine::MakeEngine(spec.source.engine));
    report.discovery = Discover(source->snapshots, report.source, engine->archiving());
    report.freshness = EvaluateFreshness(report.discovery, now, spec.freshness.max_staleness);
    report.marker = JudgeMarker(LoadDemotionMarker(*source->repository, report.source),
                                report.discovery, engine->archiving());
    report.cursor = RefreshCursor(*source->repository, spec, report.discovery, source->snapshots,
                                  engine->archiving(), report.checked_at);
  } else {
    report.open_error = source.TakeStatus();
  }
  // The conditions are evaluated under the state file's lock, against the verification recorded
  // there now: a `standby verify` that ended while the repository was listed is not undone.
  HS_TRY(UpdateStandbyState(report.state_file, [&](StandbyState& state) {
    std::vector<Condition> conditions =
        report.readable ? EvaluateConditions(report.discovery, report.freshness, state.verification)
                        : UnreadableConditions(report.open_error);
    report.conditions =
        MergeTransitions(state.conditions, std::move(conditions), report.checked_at);
    report.verification = state.verification;
    state.name = spec.name;
    state.last_discovery = report.checked_at;
    state.conditions = report.conditions;
  }));
  return report;
}

}  // namespace hasteward::dr
