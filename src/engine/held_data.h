// engine/held_data: what a destructive step (a native or point-in-time restore and the re-clones
// it implies) would discard on one instance, judged against the position of the data that
// replaces it. Each engine's NativeBackup judges its own positions (WAL LSN and timeline, GTID
// list, Galera seqno); the jobs layer's discard gate (jobs/discard_gate.h) asks it of every
// instance the step replaces.
#pragma once

#include <string>

namespace hasteward::engine {

enum class HeldData {
  kNothing,   // no data directory, or an empty one: nothing to lose
  kNotNewer,  // everything it holds is at or before the replacing position
  kNewer,     // it holds data past the replacing position
  kUnknown,   // its position cannot be read, or belongs to another history
};

// "nothing", "not newer", "newer", "unknown".
const char* HeldDataName(HeldData held);

struct HeldDataJudgement {
  HeldData held = HeldData::kUnknown;
  // What the instance holds, as the refusal names it: "timeline 1 at 0/3000060 (end of WAL)",
  // "GTID 0-1-42", or why it cannot be read.
  std::string position;
};

}  // namespace hasteward::engine
