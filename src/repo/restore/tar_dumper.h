// repo/restore/tar_dumper: a snapshot's file tree (or one directory of it) as a tar stream, the way
// `restic dump` writes a directory: every directory, file and symlink with its mode, owner and
// mtime, paths as in the snapshot. `export` of a native backup uses it, so a data directory can be
// moved to another machine as one file and unpacked with plain `tar`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_stream.h"
#include "core/status.h"
#include "repo/repository.h"
#include "repo/restore/file_dumper.h"

namespace hasteward::repo {

struct TarDumpSummary {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t content_bytes = 0;  // the files' content, without tar headers
};

// For each file, by its path in the archive: a sink that sees the file's bytes in order as they
// are written (its Close() after the last; an error from it fails the dump), or nullptr. Lets a
// caller check the checksums a tree records (a database's backup manifest) as the tar streams.
using TarFileCheck = std::function<std::unique_ptr<core::ByteSink>(const std::string& path)>;

// Writes every entry of the tree `tree` with its path under `prefix` ("" = at the archive's root;
// "a/b" puts them under "a/b/" without entries for "a" and "a/b" themselves), directories before
// what they hold. Files stream blob by blob (DumpFile); the index must be loaded. Node types other
// than file, directory and symlink are refused (kUsage) rather than left out silently.
core::Result<TarDumpSummary> DumpTreeAsTar(Repository& repo, const Id& tree,
                                           const std::string& prefix, core::ByteSink& sink,
                                           const DumpOptions& options,
                                           const TarFileCheck& file_check = {});

// The names along a path inside a snapshot ("a//b/" -> {"a", "b"}; "" and "/" -> none).
std::vector<std::string> SplitSnapshotPath(const std::string& path);

// The node at `path` in the snapshot, whatever its type ("" = a directory node for the root).
core::Result<Node> FindNode(Repository& repo, const Snapshot& snap, const std::string& path);

}  // namespace hasteward::repo
