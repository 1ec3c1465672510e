// pitr/wal/wal_ahead_dir: wal-fetch's fill-ahead files in the server's prefetch directory
// (pg_wal/hasteward-prefetch), created by wal-fetch itself so they are the server's OS user's
// (mode 0600) and handed to the agent open (wal_ahead_files.h). A file is named
// "<segment>.hasteward-ahead" so a leftover is recognisable; each segment call removes every such
// file outside its window (other timelines, replayed segments, crashed calls' files), so at most
// the window's files stay. A file is only ever renamed into place after the agent confirmed it
// complete; its presence alone proves nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "engine/archiving.h"

namespace hasteward::pitr {

struct AheadSlot {
  std::string name;  // the segment's file name (%f)
  std::string path;
  core::UniqueFd fd;  // open for reading and writing
};

struct AheadWindow {
  std::optional<AheadSlot> current;  // the requested segment's file, left by an earlier call
  std::vector<AheadSlot> next;       // the next segments' files (created when missing), in order
};

// The window for the segment `file` beside `destination`: its own fill-ahead file if one exists,
// and files for the `depth` segments after it on its timeline. Errors: the directory or a file
// could not be made (the caller then asks the agent without a window).
core::Result<AheadWindow> OpenAheadWindow(const engine::Archiving& archiving,
                                          const engine::ArchiveFile& file,
                                          const std::string& destination, size_t depth);

// The fill-ahead file of segment `name` in the prefetch directory `dir`.
std::string AheadPath(const std::string& dir, const std::string& name);

// Removes the fill-ahead files of `names` from `dir` (not archived, or of no use any more).
void RemoveAheadFiles(const std::string& dir, const std::vector<std::string>& names);

}  // namespace hasteward::pitr
