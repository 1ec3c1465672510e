#include "support/source_dir.h"

namespace hasteward::testing {

std::string SourceDir() {
  return HS_SOURCE_DIR;
}

}  // namespace hasteward::testing
