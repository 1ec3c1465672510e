// The authority rule applied to restore targets: a restore rewrites the live primary (and through
// it every replica), so it first triages the cluster.
#pragma once

#include "core/status.h"
#include "engine/triage.h"

namespace hasteward::jobs {

// Refuses a restore that would discard data it cannot see:
//  - a replica holds data the primary lacks (the newest data would be re-cloned away): kSafetyStop,
//    no override;
//  - split-brain: kSplitBrain unless `confirm_rewind`;
//  - an instance whose state is UNKNOWN (it may hold newer data): kConfirmationRequired unless
//    `confirm_rewind`.
// The messages name the live position that would be rewound. Pure.
core::Status CheckRestoreTarget(const engine::TriageReport& report, bool confirm_rewind);

}  // namespace hasteward::jobs
