// The one whitespace trim of test output (a psql/mariadb value, a command's stdout line).
#pragma once

#include <string>

namespace hasteward::testing {

// `text` without leading and trailing spaces, tabs and line breaks.
inline std::string Trim(std::string text) {
  constexpr char kSpace[] = " \t\r\n";
  text.erase(0, text.find_first_not_of(kSpace));
  text.erase(text.find_last_not_of(kSpace) + 1);
  return text;
}

}  // namespace hasteward::testing
