// dr/activation_record: what an activation persists after every transition — its phase, the last
// confirmation token used, the failure that stopped it, and the audit record (what was restored,
// to where, and when). One JSON file per standby on the DR site, beside its state file
// (standby-<name>-activation.json), replaced atomically (core/atomic_file.h).
//
// Why a local file and not the standby's object in the source repository: a standby may hold only
// read credentials plus its cursor object, the source site (and its bucket) may be the thing that
// was lost, and the record must be written between steps where a failed PUT would stop an
// activation that is otherwise able to finish. Why not the standby's state file: `standby status`
// rewrites that one on every discovery, so two writers would race.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "dr/activation_machine.h"

namespace hasteward::dr {

// What an activation did, for the audit trail (shown by `standby status`).
struct ActivationAudit {
  std::string backup;           // the base backup restored (full snapshot ID)
  std::string source_position;  // the archive's last position when validated
  std::string requested;        // activation.pointInTime, "" = the last archived position
  SourceState source_end = SourceState::kUnknown;  // demoted: the source said where it ended
  // For people: "source finished at <pos> (demotion marker)" or "unknown end (...)"
  // (dr/replay_end.h); "" in records written before the marker existed.
  std::string source_end_detail;
  std::string replay_stop;      // where replay stopped, in the engine's syntax
  uint64_t replayed = 0;        // archived pieces (WAL segments, binlog transactions) replayed
  std::string target_position;  // the new cluster's position once writable
  std::string cluster;          // "engine ns/name (N instances)"
  int64_t started_at = 0;       // unix seconds: the Validating of this activation
  int64_t activated_at = 0;     // unix seconds, 0 until Activated
};

struct PhaseTransition {
  ActivationPhase phase = ActivationPhase::kNone;
  int64_t at = 0;  // unix seconds
};

struct ActivationRecord {
  std::string name;
  ActivationPhase phase = ActivationPhase::kNone;
  std::optional<repo::GoTime> last_token;                 // as written, RFC 3339
  ActivationPhase failed_phase = ActivationPhase::kNone;  // when phase is kFailed
  std::string failure;                                    // its error, when phase is kFailed
  std::vector<PhaseTransition> transitions;               // of this activation, in order
  ActivationAudit audit;
};

// {"version":1,"name","phase","lastToken","failedPhase","failure","transitions":[{phase,at}],
//  "audit":{backup,sourcePosition,requested,sourceEnd,sourceEndDetail,replayStop,replayed,targetPosition,cluster,
//  startedAt,activatedAt}}: the file's content and `standby status --json`'s "activation".
nlohmann::json ActivationRecordJson(const ActivationRecord& record);
// Two to four lines for people ("  activation: Activated at ...").
std::string ActivationRecordText(const ActivationRecord& record);
std::string EncodeActivationRecord(const ActivationRecord& record);
// kCorruption naming the problem when the text is not an activation record.
core::Result<ActivationRecord> DecodeActivationRecord(const std::string& text);

// <state file without ".json">-activation.json.
std::string ActivationRecordFile(const std::string& state_file);
// A missing file is a record in phase None. A damaged one is kCorruption: never guessed, since
// the phase decides whether a restore may overwrite the target again.
core::Result<ActivationRecord> LoadActivationRecord(const std::string& path);
// Atomic replace (temp file, fsync, rename, fsync of the directory).
core::Status SaveActivationRecord(const std::string& path, const ActivationRecord& record);

}  // namespace hasteward::dr
