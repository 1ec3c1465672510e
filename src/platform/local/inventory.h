// The inventory file: the YAML list of clusters that LocalPlatform serves (docs/inventory.md).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "platform/platform.h"

namespace hasteward::platform {

// Parses inventory YAML. `source` names the file in errors. Malformed YAML, unknown keys, a bad
// engine or a duplicate namespace/name are kUsage naming the file and line.
core::Result<std::vector<Cluster>> ParseInventory(const std::string& text,
                                                  const std::string& source);

// Renders clusters as inventory YAML that ParseInventory reads back unchanged.
std::string EmitInventory(const std::vector<Cluster>& clusters);

// Reads and parses the file; a missing file is an empty inventory.
core::Result<std::vector<Cluster>> LoadInventory(const std::string& path);

// Creates `dir` (mode 0700, with parents) when it does not exist; an existing directory keeps
// its mode (core::MakeDirs would reset it).
core::Status EnsureDir(const std::string& dir);

// Writes the file atomically (temp file in the same directory, fsync, rename, fsync of the
// directory), creating the directory when needed. Mode 0600.
core::Status SaveInventory(const std::string& path, const std::vector<Cluster>& clusters);

}  // namespace hasteward::platform
