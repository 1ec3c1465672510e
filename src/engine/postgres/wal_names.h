// PostgreSQL's archive file names and WAL positions (pure functions): segment files
// "TTTTTTTTXXXXXXXXYYYYYYYY" (timeline, then the segment number split in 4 GiB "log" units),
// "<segment>.partial", "<timeline>.history" and "<segment>.<offset>.backup"; positions "X/Y".
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "engine/archiving.h"

namespace hasteward::engine::postgres {

// The WAL segment size this version supports (initdb's default).
inline constexpr uint64_t kWalSegmentBytes = uint64_t{16} * 1024 * 1024;

// kUsage for anything that is not one of the four archive file forms.
core::Result<ArchiveFile> ParseWalFileName(const std::string& name);
std::string WalSegmentFileName(uint32_t timeline, uint64_t segment);
// "00000002.history".
std::string WalHistoryFileName(uint32_t timeline);

}  // namespace hasteward::engine::postgres
