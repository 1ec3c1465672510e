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
  // When the backup began and ended: restic's "summary" object (restic 0.17 writes it; older
  // versions ignore it when reading). HASteward writes both at commit, so the end of a long
  // backup is known without trusting the snapshot time (the job's start) or a listing's order.
  // Unset for snapshots written without it (older HASteward, restic before 0.17).
  std::optional<GoTime> backup_start;
  std::optional<GoTime> backup_end;

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
  std::string user;  // owner names, omitted when empty (stdin backups have none)
  std::string group;
  uint64_t size = 0;
  std::string linktarget;     // symlinks
  std::vector<Id> content;    // files
  std::optional<Id> subtree;  // dirs
};

// `{"nodes":[...]}\n` with nodes sorted by name; byte-identical to restic for stdin backups.
std::string EncodeTreeJson(std::vector<Node> nodes);
core::Result<std::vector<Node>> ParseTreeJson(const std::string& json);

// Go os.FileMode type bits (restic-format.md §6.3); permission bits are POSIX's 0777.
constexpr uint32_t kGoModeDir = 1u << 31;
constexpr uint32_t kGoModeSymlink = 1u << 27;
constexpr uint32_t kGoModeSetuid = 1u << 23;
constexpr uint32_t kGoModeSetgid = 1u << 22;
constexpr uint32_t kGoModeSticky = 1u << 20;

// POSIX permission bits (07777 of st_mode) as Go mode bits, and back.
uint32_t GoModeFromPosix(uint32_t posix_permissions);
uint32_t PosixFromGoMode(uint32_t go_mode);

}  // namespace hasteward::repo
