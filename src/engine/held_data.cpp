#include "engine/held_data.h"

namespace hasteward::engine {

const char* HeldDataName(HeldData held) {
  switch (held) {
    case HeldData::kNothing: return "nothing";
    case HeldData::kNotNewer: return "not newer";
    case HeldData::kNewer: return "newer";
    case HeldData::kUnknown: return "unknown";
  }
  return "unknown";
}

}  // namespace hasteward::engine
