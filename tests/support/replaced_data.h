// The data directories a repair or restore moved aside and kept beside an instance's own:
// `<data_dir>.hasteward-replaced-<stamp>[.N]` (docs/repair.md), each a whole PostgreSQL data
// directory (it has PG_VERSION).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace hasteward::testing {

std::vector<std::filesystem::path> ReplacedDataDirectories(const std::string& data_dir);

}  // namespace hasteward::testing
