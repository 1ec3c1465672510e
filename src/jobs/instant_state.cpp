#include "jobs/instant_state.h"

#include <cerrno>
#include <sstream>

#include <sys/stat.h>

#include "core/atomic_file.h"
#include "core/fd.h"

namespace hasteward::jobs {

namespace {

constexpr InstantPhase kPhases[] = {InstantPhase::kStarting, InstantPhase::kServing,
                                    InstantPhase::kMerging};

std::string StatePath(const std::string& data_dir) {
  return InstantDirFor(data_dir) + "/state";
}

}  // namespace

const char* InstantPhaseName(InstantPhase phase) {
  switch (phase) {
    case InstantPhase::kStarting: return "starting";
    case InstantPhase::kServing: return "hydrating";
    case InstantPhase::kMerging: return "merging";
  }
  return "unknown";
}

std::string InstantDirFor(const std::string& data_dir) {
  return data_dir + ".hasteward-instant";
}

core::Status WriteInstantState(const std::string& data_dir, const InstantState& state) {
  std::string text = std::string("phase=") + InstantPhaseName(state.phase) +
                     "\nsnapshot=" + state.snapshot_id + "\ninstance=" + state.instance +
                     "\nkeep_replaced=" + (state.keep_replaced ? "yes" : "no") + "\n";
  return core::WriteFileAtomically(StatePath(data_dir), core::AsBytes(text),
                                   {.mode = 0600, .parent_dir_mode = 0700});
}

core::Result<std::optional<InstantState>> ReadInstantState(const std::string& data_dir) {
  struct stat st {};
  if (::stat(StatePath(data_dir).c_str(), &st) != 0 && errno == ENOENT)
    return std::optional<InstantState>();
  HS_ASSIGN_OR_RETURN(std::string text, core::ReadFileToString(StatePath(data_dir)));
  InstantState state;
  bool phase_known = false;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::string key = line.substr(0, line.find('='));
    std::string value = line.find('=') == std::string::npos ? "" : line.substr(key.size() + 1);
    if (key == "snapshot") {
      state.snapshot_id = value;
    } else if (key == "instance") {
      state.instance = value;
    } else if (key == "keep_replaced") {
      state.keep_replaced = value == "yes";
    }
    for (InstantPhase phase : kPhases) {
      if (key == "phase" && value == InstantPhaseName(phase)) {
        state.phase = phase;
        phase_known = true;
      }
    }
  }
  if (!phase_known || state.snapshot_id.empty()) {
    return core::Status(core::ErrorCode::kCorruption,
                        "the instant-restore record '" + StatePath(data_dir) + "' is unreadable",
                        "look at the directory beside the data directory; the data directory "
                        "was not touched");
  }
  return std::optional<InstantState>(state);
}

}  // namespace hasteward::jobs
