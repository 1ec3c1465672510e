#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hasteward::engine {

// The rows of one query result, as text (NULL = nullopt), with column names.
struct SqlRows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  bool empty() const { return rows.empty(); }
  size_t size() const { return rows.size(); }
  // The value of column `name` (case-insensitive) in row `row`; nullopt for NULL or no such column.
  std::optional<std::string> Get(size_t row, std::string_view name) const;
  // Get, with NULL / missing mapped to `fallback`.
  std::string GetOr(size_t row, std::string_view name, std::string fallback = "") const;
};

}  // namespace hasteward::engine
