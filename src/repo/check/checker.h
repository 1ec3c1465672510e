#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "repo/repository.h"

namespace hasteward::repo {

struct CheckOptions {
  bool read_data = false;
  int threads = 0;
};

struct CheckReport {
  std::vector<std::string> errors;  // each names the file (and blob) affected
  std::vector<std::string> hints;   // e.g. unreferenced packs (prune removes them)
  size_t snapshots = 0;
  size_t packs = 0;
  size_t blobs = 0;
  uint64_t bytes_read = 0;
  bool ok() const { return errors.empty(); }
};

// restic-compatible check (restic-format.md §11.1): index files decode, indexed packs exist with
// the size the index implies, every snapshot's trees load and reference only indexed blobs; with
// read_data every pack is downloaded and its hash, header and every blob verified. Problems are
// collected in the report; the returned status fails only when checking itself cannot proceed.
// The caller holds the (exclusive) lock.
core::Result<CheckReport> CheckRepository(Repository& repo, const CheckOptions& options);

}  // namespace hasteward::repo
