// dr/source_probe: what `standby activate` learns from the source's primary at source.probe
// before it makes another cluster writable. With source.probeCredentials it is the engine's write
// probe (engine/write_probe.h): only a write that succeeds counts as writable, so a fenced
// (read-only, recovering) source that still answers TCP no longer blocks a fail-back. Without
// them, a TCP answer counts as writable (nothing else can be known).
#pragma once

#include <string>

#include "dr/activation_machine.h"
#include "dr/standby_spec.h"

namespace hasteward::dr {

struct SourceProbe {
  SourceState state = SourceState::kUnknown;
  std::string detail;  // what was seen, for the gate's message and the log ("" = not probed)
};

// Probes spec.probe ("" = kUnknown, nothing probed). Writable -> kWritable; not writable or
// unreachable -> kUnknown (the end of the source's writes stays unknown); refused credentials or
// an answer proving neither -> kProbeFailed. Without probe credentials: TCP answers -> kWritable.
SourceProbe ProbeSource(const SourceSpec& spec);

}  // namespace hasteward::dr
