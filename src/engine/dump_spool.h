// A complete dump on local disk before anything destructive happens. Heal flows that replace an
// instance's data with a dump of a donor first read the whole dump into a spool, so a donor (or
// its dump tool) that fails mid-stream fails the heal while the target is still untouched.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/byte_stream.h"
#include "core/fd.h"
#include "core/status.h"
#include "core/temp_dir.h"
#include "engine/engine.h"

namespace hasteward::engine {

class DumpSpool {
 public:
  // Reads `dump` to its end into an unlinked 0600 file in a private directory under $TMPDIR
  // (nothing stays on disk after the spool is destroyed, even on a crash). Fails with the dump's
  // own error (kDumpFailed naming the tool's exit status and stderr tail) when the tool fails,
  // dies or ends without its end marker, or an errno error when the local disk is full.
  static core::Result<DumpSpool> Fill(DumpStream& dump);

  uint64_t size() const { return size_; }
  // The dump's metadata (e.g. "gtid_position"), read from the complete dump.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Writes the spooled dump, from its start, into `sink` (does not Close it).
  core::Status CopyTo(core::ByteSink& sink) const;

 private:
  DumpSpool(core::TempDir dir, core::UniqueFd fd) : dir_(std::move(dir)), fd_(std::move(fd)) {}
  core::TempDir dir_;
  core::UniqueFd fd_;
  uint64_t size_ = 0;
  std::map<std::string, std::string> metadata_;
};

}  // namespace hasteward::engine
