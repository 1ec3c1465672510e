// PostgreSQL's timeline history files ("<timeline>.history"), parsed strictly for point-in-time
// restores: one line per ancestor, "<parent timeline>\t<switch LSN>\t<reason>", oldest first.
// Pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/archiving.h"

namespace hasteward::engine::postgres {

// The ancestors the file lists, oldest first. Blank lines and '#' comments are skipped, as the
// server skips them. kCorruption for a line without a timeline and a position, or timelines not
// strictly increasing (the server refuses such a file too; a restore must not guess the history).
core::Result<std::vector<TimelineBranch>> ParseHistoryFile(const std::string& text);

}  // namespace hasteward::engine::postgres
