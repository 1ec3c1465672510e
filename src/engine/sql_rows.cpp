#include "engine/sql_rows.h"

#include <strings.h>

namespace hasteward::engine {

std::optional<std::string> SqlRows::Get(size_t row, std::string_view name) const {
  if (row >= rows.size()) {
    return std::nullopt;
  }
  for (size_t c = 0; c < columns.size() && c < rows[row].size(); ++c) {
    if (columns[c].size() == name.size() &&
        ::strncasecmp(columns[c].data(), name.data(), name.size()) == 0) {
      return rows[row][c];
    }
  }
  return std::nullopt;
}

std::string SqlRows::GetOr(size_t row, std::string_view name, std::string fallback) const {
  auto v = Get(row, name);
  return v ? *v : std::move(fallback);
}

}  // namespace hasteward::engine
