// Small text helpers shared by the layers above.
#pragma once

#include <string>

namespace hasteward::core {

// `text` without its trailing line breaks and blanks ("msg\r\n" -> "msg"): what a server or a
// tool's message ends with.
std::string TrimTrailingSpace(std::string text);

}  // namespace hasteward::core
