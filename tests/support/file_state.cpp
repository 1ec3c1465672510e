#include "support/file_state.h"

#include <sys/stat.h>

#include "core/fd.h"

namespace hasteward::testing {

FileState StateOf(const std::string& path) {
  FileState state;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return state;
  }
  state.exists = true;
  state.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  auto bytes = core::ReadFileToString(path);
  state.bytes = bytes.ok() ? *bytes : "";
  return state;
}

}  // namespace hasteward::testing
