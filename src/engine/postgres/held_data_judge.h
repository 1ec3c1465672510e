// What a PostgreSQL restore would discard on one instance: its position (triage's
// "lineage_timeline" and "position_lsn"; "position_source" says whether that is the live WAL
// position, a stopped instance's end of WAL, or only its last checkpoint, a lower bound) against
// the replacing data's "timeline" and "stop_lsn". Pure; unit-tested on hand-built facts.
#pragma once

#include <map>
#include <string>

#include "engine/held_data.h"
#include "engine/triage.h"

namespace hasteward::engine::postgres {

HeldDataJudgement JudgePgHeldData(const InstanceHealth& held,
                                  const std::map<std::string, std::string>& replacement);

}  // namespace hasteward::engine::postgres
