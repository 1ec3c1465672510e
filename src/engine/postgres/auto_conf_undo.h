// How to put postgresql.auto.conf back as it was with ALTER SYSTEM alone: ALTER SYSTEM SET removes
// a setting's line and appends the new one at the end, RESET removes it. So putting back the old
// values one by one would leave the same settings in another order; instead every line from the
// first changed one to the end is set again in its old order, and a setting that had no line is
// reset. The result has the old bytes. Pure: the statements run in reconfigure_apply.cpp.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hasteward::engine::postgres {

// The lines of postgresql.auto.conf in file order: setting name -> value (unquoted).
using AutoConfEntries = std::vector<std::pair<std::string, std::string>>;

// One ALTER SYSTEM statement: SET name = value, or RESET name when value is nullopt.
struct AlterSystemStep {
  std::string name;
  std::optional<std::string> value;
  bool operator==(const AlterSystemStep&) const = default;
};

// The statements that turn the file back into `before` after the settings `changed` were set:
// RESET for each changed name without a line in `before`, then SET for every line of `before`
// from the first changed name on, in file order.
std::vector<AlterSystemStep> AutoConfUndoSteps(const AutoConfEntries& before,
                                               const std::vector<std::string>& changed);

}  // namespace hasteward::engine::postgres
