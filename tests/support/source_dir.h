// The checkout's root, where tests find their data files (docs/exit-codes.md, deploy/, helper
// scripts). One translation unit knows the absolute path (source_dir.cpp), so every other test
// object compiles to the same bytes from any clone and a compiler cache with a base directory
// (tools/build.sh) serves them to a fresh clone elsewhere.
#pragma once

#include <string>

namespace hasteward::testing {

std::string SourceDir();

}  // namespace hasteward::testing
