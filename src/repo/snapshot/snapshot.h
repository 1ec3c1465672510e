#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "repo/crypto/crypto.h"
#include "repo/format/go_json.h"

namespace hasteward::repo {

// A snapshot file (restic-format.md §6.1). Unknown fields written by newer restic versions
// (program_version, summary, ...) are ignored when reading.
struct Snapshot {
  Id id{};  // the file's ID (not part of the JSON)
  GoTime time;
  std::optional<Id> parent;
  Id tree{};
  std::vector<std::string> paths;
  std::string hostname;
  std::string username;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::optional<Id> original;

  // Value of a "key=value" tag, or "" when absent.
  std::string TagValue(const std::string& key) const;
  bool HasTag(const std::string& tag) const;
};

// Compact JSON in restic's field order, no trailing newline.
std::string EncodeSnapshotJson(const Snapshot& s);
core::Result<Snapshot> ParseSnapshotJson(const std::string& json);

// A tree node; only the fields HASteward writes are modelled, everything else is carried through
// as raw JSON when reading (so trees written by restic are read faithfully).
struct Node {
  std::string name;
  std::string type;  // "file", "dir", "symlink", ...
  uint32_t mode = 0;
  GoTime mtime, atime, ctime;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  std::vector<Id> content;    // files
  std::optional<Id> subtree;  // dirs
};

// `{"nodes":[...]}\n` with nodes sorted by name; byte-identical to restic for stdin backups.
std::string EncodeTreeJson(std::vector<Node> nodes);
core::Result<std::vector<Node>> ParseTreeJson(const std::string& json);

constexpr uint32_t kGoModeDir = 1u << 31;

}  // namespace hasteward::repo
