#include "support/replaced_data.h"

#include <algorithm>

namespace hasteward::testing {

std::vector<std::filesystem::path> ReplacedDataDirectories(const std::string& data_dir) {
  const std::filesystem::path own(data_dir);
  const std::string prefix = own.filename().string() + ".hasteward-replaced-";
  std::vector<std::filesystem::path> kept;
  for (const auto& entry : std::filesystem::directory_iterator(own.parent_path())) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0 &&
        std::filesystem::exists(entry.path() / "PG_VERSION"))
      kept.push_back(entry.path());
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

}  // namespace hasteward::testing
