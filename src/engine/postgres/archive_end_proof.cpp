#include "engine/postgres/archive_end_proof.h"

namespace hasteward::engine::postgres {

ReplayEndVerdict JudgeReplayEnd(uint64_t replay_end, uint64_t segment_start,
                                uint64_t segment_bytes) {
  if (replay_end >= segment_start + segment_bytes) {
    return ReplayEndVerdict::kConsumed;
  }
  // Exactly at the segment's start is the end of the segment before (after its switch record):
  // nothing of the newest segment was replayed.
  if (replay_end <= segment_start) {
    return ReplayEndVerdict::kStoppedBefore;
  }
  return ReplayEndVerdict::kReadSegment;
}

bool WaldumpShowsRecords(std::string_view output) {
  for (size_t at = 0; at < output.size();) {
    size_t end = output.find('\n', at);
    std::string_view line =
        output.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.rfind("rmgr:", 0) == 0) {
      return true;
    }
    if (end == std::string_view::npos) {
      break;
    }
    at = end + 1;
  }
  return false;
}

std::string ExpandRestoreCommand(std::string_view command, const std::string& file,
                                 const std::string& path) {
  std::string out;
  for (size_t i = 0; i < command.size(); ++i) {
    if (command[i] == '%' && i + 1 < command.size()) {
      const char next = command[i + 1];
      if (next == 'f' || next == 'p' || next == '%') {
        out += next == 'f' ? file : next == 'p' ? path : "%";
        ++i;
        continue;
      }
    }
    out += command[i];
  }
  return out;
}

}  // namespace hasteward::engine::postgres
