// dr/standby_state: what a standby remembers between runs — its last conditions (so each one's
// lastTransitionTime survives restarts instead of moving to every process start) and when it last
// discovered, and its own verification of the source's newest backup (verification_record.h). One
// small JSON file per standby, replaced atomically (core/atomic_file.h); it holds no secret.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "dr/conditions.h"
#include "dr/verification_record.h"

namespace hasteward::dr {

struct StandbyState {
  std::string name;
  int64_t last_discovery = 0;  // unix seconds
  std::vector<Condition> conditions;
  std::optional<VerificationRecord> verification;  // the last DR-side verification
};

std::string EncodeStandbyState(const StandbyState& state);
// kCorruption naming the problem when the text is not a standby state.
core::Result<StandbyState> DecodeStandbyState(const std::string& text);

// Reads `path`; a missing file is an empty state. A damaged file is kCorruption with a hint to
// remove it (only transition times are lost).
core::Result<StandbyState> LoadStandbyState(const std::string& path);
// Writes `path` atomically (temp file, fsync, rename, fsync of the directory), creating its
// directory when missing.
core::Status SaveStandbyState(const std::string& path, const StandbyState& state);

// Loads `path`, applies `change` and saves it, holding an exclusive flock on "<path>.lock" the
// whole time: a discovery and a verification of the same standby (serve's loop, a `standby
// verify` run beside it) each write their own part and never lose the other's. Blocks while
// another process holds the lock. Errors: those of Load/Save, and the lock file's.
core::Status UpdateStandbyState(const std::string& path,
                                const std::function<void(StandbyState&)>& change);

}  // namespace hasteward::dr
