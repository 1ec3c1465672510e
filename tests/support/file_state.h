// What a test needs to prove a file was left alone: its bytes and its modification time (a
// rewrite with the same bytes still moves the mtime).
#pragma once

#include <cstdint>
#include <string>

namespace hasteward::testing {

struct FileState {
  bool exists = false;
  std::string bytes;
  int64_t mtime_ns = 0;
  bool operator==(const FileState&) const = default;
};

// The state of the file at `path` (exists = false when it does not).
FileState StateOf(const std::string& path);

}  // namespace hasteward::testing
