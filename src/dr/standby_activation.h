// dr/standby_activation: the steps of `standby activate` (dr/activation.h) bound to the
// point-in-time restore of the pitr layer, which the dr layer sits beside and may not include.
// Here because both the command line and, later, `serve` running standbys activate the same way.
#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "dr/activation.h"
#include "dr/standby_spec.h"
#include "platform/registry.h"

namespace hasteward::dr {

struct StandbyActivationOptions {
  StandbySpec spec;
  std::string inventory_path;  // the local platform's inventory ("" = its default)
  repo::GoTime token;          // --confirm
  std::string binary;          // absolute path of hasteward: the restored server's wal-fetch
  const core::Clock* clock = &core::SystemClock::Get();
  std::function<void(const std::string&)> log;  // one line per step, for people
};

// Activates the standby: Validating (the template cluster exists with the template's engine and
// instance count; what discovery found is frozen into the audit), Restoring (its instances are
// stopped, the source's newest native base before the point is restored into it and replayed by
// pitr: to activation.pointInTime, else to the last archived position, where a missing next
// piece is an unknown end that replay must still have reached), Replaying (the restored primary
// left recovery: its position is recorded), Provisioning (every instance of the template runs and
// exactly one is writable, within activation.restoreTimeout). Errors: the gates' refusals
// (dr/activation_machine.h), a step's error (the record is then Failed).
core::Result<ActivationRecord> RunStandbyActivation(const StandbyActivationOptions& options);

}  // namespace hasteward::dr
