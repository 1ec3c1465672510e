#include "engine/postgres/data_dir_listing.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hasteward::engine::postgres {

namespace {

// "relative/name", or "name" at the data directory's top.
std::string ChildPath(const std::string& relative, const std::string& name) {
  std::string child = relative;
  if (!child.empty()) {
    child += '/';
  }
  child += name;
  return child;
}

// basebackup.c (PostgreSQL 15): directories whose contents are never sent (the server recreates
// or does not need them), pg_wal among them (the backup adds the WAL it needs at its end).
constexpr std::array<std::string_view, 8> kEmptiedDirectories = {
    "pg_stat_tmp", "pg_replslot",  "pg_dynshmem", "pg_notify",
    "pg_serial",   "pg_snapshots", "pg_subtrans", "pg_wal"};

// basebackup.c's excludeFiles, matched by name in any directory; backup_label and tablespace_map
// come from pg_backup_stop instead, and a backup_manifest belongs to an older backup. A
// backup_label.old is what a server that started from a backup renamed: no use to a restore.
constexpr std::array<std::string_view, 8> kExcludedNames = {
    "postgresql.auto.conf.tmp", "current_logfiles.tmp", "backup_label",    "tablespace_map",
    "backup_manifest",          "postmaster.pid",       "postmaster.opts", "backup_label.old"};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "16384", "16384.2", "16384_vm": the relfilenode a relation file's name starts with ("" when the
// name is not a relation file's).
std::string RelfilenodeOf(const std::string& name) {
  size_t end = name.find_first_of("._");
  std::string head = name.substr(0, end);
  return AllDigits(head) ? head : std::string();
}

// Whether `dir` (relative) holds one database's relation files: base/<oid>.
bool IsDatabaseDirectory(const std::string& dir) {
  return dir.rfind("base/", 0) == 0 && AllDigits(std::string_view(dir).substr(5));
}

core::Status Failed(const std::string& what, const std::string& path) {
  return core::Status(core::ErrorCode::kStorage, what + " " + path + ": " + std::strerror(errno),
                      "the data directory changed or is not readable by this user");
}

core::TarEntry EntryOf(const std::string& relative, const struct stat& st) {
  core::TarEntry entry;
  entry.path = relative;
  entry.mode = st.st_mode & 07777;
  entry.mtime = st.st_mtime;
  entry.uid = st.st_uid;
  entry.gid = st.st_gid;
  if (S_ISDIR(st.st_mode)) {
    entry.type = core::TarEntryType::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    entry.type = core::TarEntryType::kSymlink;
  } else {
    entry.type = core::TarEntryType::kFile;
    entry.size = static_cast<uint64_t>(st.st_size);
  }
  return entry;
}

struct Walk {
  std::string root;
  std::vector<core::TarEntry> out;

  core::Status Directory(const std::string& relative) {
    std::string path = relative.empty() ? root : root + "/" + relative;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      return Failed("cannot list", path);
    }
    std::vector<std::string> names;
    while (struct dirent* de = ::readdir(dir)) {
      std::string name = de->d_name;
      if (name != "." && name != "..") {
        names.push_back(std::move(name));
      }
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    // Unlogged relations: their init fork is all a backup needs (the server resets the rest).
    std::set<std::string> unlogged;
    if (IsDatabaseDirectory(relative)) {
      for (const std::string& name : names) {
        if (name.size() > 5 && name.ends_with("_init")) {
          unlogged.insert(RelfilenodeOf(name));
        }
      }
    }
    for (const std::string& name : names) {
      std::string child = ChildPath(relative, name);
      if (child == "global/pg_control") {
        continue;  // read last, by the stream
      }
      if (IsDatabaseDirectory(relative) &&
          (LooksLikeTempRelation(name) ||
           (!name.ends_with("_init") && unlogged.count(RelfilenodeOf(name)) > 0))) {
        continue;
      }
      std::string full = root + "/" + child;
      struct stat st {};
      if (::lstat(full.c_str(), &st) != 0) {
        if (errno == ENOENT) {
          continue;  // dropped while we listed: the WAL replay of the backup drops it too
        }
        return Failed("cannot stat", full);
      }
      // A symlinked pg_wal (initdb -X) is sent as the directory BASE_BACKUP makes of it.
      bool is_dir = S_ISDIR(st.st_mode) || (child == "pg_wal" && S_ISLNK(st.st_mode));
      BaseBackupEntry rule = ClassifyBaseBackupEntry(child, is_dir);
      if (rule == BaseBackupEntry::kSkip) {
        continue;
      }
      if (relative == "pg_tblspc") {
        return core::Usage("the cluster has a tablespace (pg_tblspc/" + name + ")",
                           "a native snapshot holds one data directory; take a dump");
      }
      if (child == "pg_wal" && S_ISLNK(st.st_mode)) {
        struct stat target {};
        if (::stat(full.c_str(), &target) != 0) {
          return Failed("cannot stat", full);
        }
        st = target;
      }
      core::TarEntry entry = EntryOf(child, st);
      if (entry.type == core::TarEntryType::kSymlink) {
        std::string target(4096, '\0');
        ssize_t n = ::readlink(full.c_str(), target.data(), target.size());
        if (n < 0) {
          return Failed("cannot read the link", full);
        }
        target.resize(static_cast<size_t>(n));
        entry.link_target = std::move(target);
      }
      out.push_back(std::move(entry));
      if (is_dir && rule == BaseBackupEntry::kInclude) {
        HS_TRY(Directory(child));
      } else if (child == "pg_wal") {
        // BASE_BACKUP sends pg_wal/archive_status too, so the restored server can archive.
        core::TarEntry status = out.back();
        status.path = "pg_wal/archive_status";
        out.push_back(std::move(status));
      }
    }
    return core::Status::Ok();
  }
};

}  // namespace

bool LooksLikeTempRelation(const std::string& name) {
  // t<backend id>_<relfilenode>[_<fork>][.<segment>]
  if (name.size() < 4 || name[0] != 't') {
    return false;
  }
  size_t underscore = name.find('_', 1);
  if (underscore == std::string::npos ||
      !AllDigits(std::string_view(name).substr(1, underscore - 1))) {
    return false;
  }
  return !RelfilenodeOf(name.substr(underscore + 1)).empty();
}

bool IsRecoverySignalFile(const std::string& relative_path) {
  return relative_path == "standby.signal" || relative_path == "recovery.signal";
}

BaseBackupEntry ClassifyBaseBackupEntry(const std::string& relative_path, bool is_directory) {
  if (IsRecoverySignalFile(relative_path)) {
    return BaseBackupEntry::kSkip;
  }
  size_t slash = relative_path.rfind('/');
  std::string name = slash == std::string::npos ? relative_path : relative_path.substr(slash + 1);
  if (name.rfind("pgsql_tmp", 0) == 0 || name.rfind("pg_internal.init", 0) == 0) {
    return BaseBackupEntry::kSkip;
  }
  if (std::find(kExcludedNames.begin(), kExcludedNames.end(), name) != kExcludedNames.end()) {
    return BaseBackupEntry::kSkip;
  }
  if (is_directory && std::find(kEmptiedDirectories.begin(), kEmptiedDirectories.end(),
                                relative_path) != kEmptiedDirectories.end()) {
    return BaseBackupEntry::kEmptyDirectory;
  }
  return BaseBackupEntry::kInclude;
}

core::Result<std::vector<core::TarEntry>> ListDataDirectory(const std::string& data_dir) {
  Walk walk{data_dir, {}};
  HS_TRY(walk.Directory(""));
  return std::move(walk.out);
}

}  // namespace hasteward::engine::postgres
