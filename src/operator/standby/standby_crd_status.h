// operator/standby/standby_crd_status: the status `serve` writes onto a StandbyCluster resource
// (through the status subresource, like crd_status.h):
//
//   {observedGeneration, lastDiscoveryTime,
//    conditions: [Ready, BucketReadable, SourceConfigKnown, Restorable, Fresh, Stale],
//    discovered: {backups, verifications, newestBackup, newestVerified, archive},
//    freshness: {state, stale, backlogSegments, evidenceAgeSeconds}, cursor: {...},
//    activation: {phase, ...}}
//
// Ready says whether the resource is used at all: True (Discovering, or Suspended), or False with
// InvalidSpec, SecretUnavailable or OverriddenByConfig (a config-file standby of the same name
// wins). The other conditions are the standby's own (dr/conditions.h), as `hasteward standby
// status` shows them; `discovered`, `freshness`, `cursor` and `activation` are the fields of its
// --json.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "operator/crd/crd_status.h"
#include "operator/standby/standby_runner.h"

namespace hasteward::op {

// Ready reasons besides crd_catalog.h's InvalidSpec / SecretUnavailable.
inline constexpr char kReasonDiscovering[] = "Discovering";
inline constexpr char kReasonSuspended[] = "Suspended";

// The status object. `ready_since`: Ready's lastTransitionTime (RFC 3339). `progress`: the runner's
// (null while the resource is not run, or before its first discovery ended). `report`: the last
// discovery's `standby status --json` object (null when none).
nlohmann::json StandbyClusterStatus(int64_t generation, const ReadyCondition& ready,
                                    const std::string& ready_since, const StandbyProgress* progress,
                                    const nlohmann::json& report);

}  // namespace hasteward::op
