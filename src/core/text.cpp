#include "core/text.h"

namespace hasteward::core {

std::string TrimTrailingSpace(std::string text) {
  while (!text.empty() &&
         (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
    text.pop_back();
  return text;
}

}  // namespace hasteward::core
