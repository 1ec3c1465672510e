#include "engine/postgres/auto_conf_undo.h"

#include <algorithm>

namespace hasteward::engine::postgres {

std::vector<AlterSystemStep> AutoConfUndoSteps(const AutoConfEntries& before,
                                               const std::vector<std::string>& changed) {
  auto was_changed = [&](const std::string& name) {
    return std::find(changed.begin(), changed.end(), name) != changed.end();
  };
  std::vector<AlterSystemStep> steps;
  for (const auto& name : changed) {
    bool had_line = std::any_of(before.begin(), before.end(),
                                [&](const auto& entry) { return entry.first == name; });
    bool listed = std::any_of(steps.begin(), steps.end(),
                              [&](const auto& step) { return step.name == name; });
    if (!had_line && !listed)
      steps.push_back({name, std::nullopt});
  }
  auto first = std::find_if(before.begin(), before.end(),
                            [&](const auto& entry) { return was_changed(entry.first); });
  for (auto it = first; it != before.end(); ++it)
    steps.push_back({it->first, it->second});
  return steps;
}

}  // namespace hasteward::engine::postgres
