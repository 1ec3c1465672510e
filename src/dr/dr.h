// dr: the cross-cluster DR standby. A standby lives on the DR side and follows a source cluster
// through the only link the two sites share, the source's repository (bucket): it declares the
// relationship ahead of time (standby_spec.h), discovers from snapshot metadata the newest backup
// by its recorded end, the archive's last position and the newest verified backup
// (discovery.h), and reports conditions — BucketReadable, SourceConfigKnown, Restorable,
// Fresh/Stale measured by archive position and backlog with an explicit idle state — whose
// transition times persist across runs (conditions.h, freshness.h, standby_state.h). It never
// calls the source cluster. Depends on jobs and below (repo, engine, storage, platform, core);
// never on verify, pitr, operator or cli: the verification and archive tags it reads are
// restated in discovery.h and tested against their owners.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "dr/activation_record.h"
#include "dr/conditions.h"
#include "dr/discovery.h"
#include "dr/freshness.h"
#include "dr/replay_end.h"
#include "dr/standby_cursor.h"
#include "dr/standby_spec.h"
#include "dr/verification_record.h"
#include "repo/repository.h"

namespace hasteward::dr {

// One discovery of a standby and the conditions it gave.
struct StandbyReport {
  std::string name;
  std::string repository;  // the source repository's location
  platform::Cluster source;
  int64_t checked_at = 0;  // unix seconds
  bool readable = false;
  core::Status open_error;  // why the repository could not be read (when !readable)
  Discovery discovery;
  Freshness freshness;
  std::vector<Condition> conditions;  // transition times merged with the state file's
  CursorOutcome cursor;               // the retention floor cursor written this time
  MarkerJudgement marker;             // the source's demotion marker (dr/replay_end.h)
  std::string state_file;
  std::optional<VerificationRecord> verification;  // the standby's own, from the state file
  ActivationRecord activation;  // phase None: never activated (dr/activation_record.h)

  // {"name","repository","source":{engine,namespace,name},"checkedAt","conditions":[{type,
  //  status,reason,message,lastTransitionTime}],"discovered":{backups,verifications,
  //  newestBackup,newestVerified,archive},"freshness":{state,backlogSegments,evidenceAgeSeconds},
  //  "cursor":{object,written,...} (dr/standby_cursor.h), "demotionMarker":{standing,reason,
  //  position,end,written,writer} (absent when the source left none), "verification" (the
  //  standby's last own verification, dr/verification_record.h; absent before the first),
  //  "activation"
  //  (dr/activation_record.h, absent when never activated)}
  nlohmann::json ToJson() const;
  // One line per condition and what was discovered, for people.
  std::string ToText() const;
  // The exit code of `standby status` (docs/exit-codes.md): the open error's code when the
  // repository cannot be read, kNotFound without a backup of the source, kHealthDegraded when
  // Stale, not Restorable or the cursor could not be written, kOk otherwise.
  core::ErrorCode ExitCode() const;
};

// The source repository opened with the declared password file (read once, never logged) and
// S3 credentials file, if any.
// kUsage when the file cannot be read; the repository's open errors otherwise.
core::Result<std::unique_ptr<repo::Repository>> OpenSourceRepository(const SourceSpec& source);

struct CheckOptions {
  const core::Clock* clock = &core::SystemClock::Get();
};

// Opens the source repository with the declared password file, lists its snapshots once,
// discovers, evaluates the conditions, writes the standby's retention floor cursor (its one
// object in the source repository; unless cursor.write is false) and records the conditions in
// the standby's state file. A repository that cannot be opened or listed is a report with
// BucketReadable False, not an error; errors: the state file cannot be read or written.
core::Result<StandbyReport> CheckStandby(const StandbySpec& spec, const CheckOptions& options);

}  // namespace hasteward::dr
