#include "engine/write_probe.h"

namespace hasteward::engine {

const char* WriteProbeVerdictName(WriteProbeVerdict verdict) {
  switch (verdict) {
    case WriteProbeVerdict::kWritable: return "writable";
    case WriteProbeVerdict::kNotWritable: return "not-writable";
    case WriteProbeVerdict::kUnreachable: return "unreachable";
    case WriteProbeVerdict::kRefused: return "refused";
    case WriteProbeVerdict::kUndetermined: break;
  }
  return "undetermined";
}

}  // namespace hasteward::engine
