#include "engine/mariadb/native_stream.h"

#include <regex>
#include <sstream>

namespace hasteward::engine::mariadb {

namespace {

constexpr size_t kSmallFileBytes = size_t{64} * 1024;

// The files whose content becomes facts. mariadb-backup 10.11 writes the mariadb_backup_* names;
// older ones the xtrabackup_* names.
const std::set<std::string>& KeptFiles() {
  static const std::set<std::string> kKept = {"mariadb_backup_binlog_info",
                                              "xtrabackup_binlog_info",
                                              "mariadb_backup_slave_info",
                                              "xtrabackup_slave_info",
                                              "mariadb_backup_galera_info",
                                              "xtrabackup_galera_info",
                                              "mariadb_backup_info",
                                              "xtrabackup_info",
                                              "mariadb_backup_checkpoints",
                                              "xtrabackup_checkpoints",
                                              "backup-my.cnf"};
  return kKept;
}

std::string Either(const std::map<std::string, std::string>& files, const std::string& modern,
                   const std::string& legacy) {
  auto it = files.find(modern);
  if (it != files.end()) {
    return it->second;
  }
  it = files.find(legacy);
  return it == files.end() ? std::string() : it->second;
}

std::string Basename(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::map<std::string, std::string> ParseBinlogInfo(const std::string& text) {
  std::map<std::string, std::string> facts;
  std::istringstream in(text);
  std::string file;
  std::string pos;
  std::string gtid;
  if (in >> file >> pos) {
    facts["binlog_file"] = file;
    facts["binlog_pos"] = pos;
    if (in >> gtid) {
      facts["gtid_position"] = gtid;
    }
  }
  return facts;
}

std::map<std::string, std::string> ParseSlaveInfo(const std::string& text) {
  std::map<std::string, std::string> facts;
  static const std::regex kGtid(R"(gtid_slave_pos\s*=\s*'([^']*)')");
  std::smatch match;
  if (std::regex_search(text, match, kGtid)) {
    facts["gtid_slave_pos"] = match[1];
  }
  return facts;
}

std::map<std::string, std::string> ParseGaleraInfo(const std::string& text) {
  std::map<std::string, std::string> facts;
  static const std::regex kPosition(R"(^\s*([0-9a-fA-F-]{36}):(-?\d+))");
  std::smatch match;
  if (std::regex_search(text, match, kPosition)) {
    facts["wsrep_uuid"] = match[1];
    facts["wsrep_seqno"] = match[2];
  }
  return facts;
}

std::map<std::string, std::string> ParseBackupInfo(const std::string& text) {
  std::map<std::string, std::string> facts;
  static const std::regex kVersion(R"(server_version\s*=\s*(\d+)\.(\d+))");
  std::smatch match;
  if (std::regex_search(text, match, kVersion)) {
    facts["mariadb_version"] = match[1].str() + "." + match[2].str();
  }
  return facts;
}

bool IsInnodbPagePath(const std::string& path) {
  std::string name = Basename(path);
  auto ends_with = [&name](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".ibd") || name.rfind("ibdata", 0) == 0 ||
         (name.rfind("undo", 0) == 0 && name.size() > 4 &&
          name.find_first_not_of("0123456789", 4) == std::string::npos);
}

core::TarEntry MariadbNativeStream::EntryFor(const std::string& path,
                                             core::TarEntryType type) const {
  core::TarEntry entry;
  entry.path = path;
  entry.type = type;
  // What the server itself creates (umask 0660 files, 0700 directories): mbstream carries no
  // modes or owners, so a restored tree gets the server's usual ones.
  entry.mode = type == core::TarEntryType::kDirectory ? 0700 : 0660;
  entry.mtime = owner_.mtime;
  entry.uid = owner_.uid;
  entry.gid = owner_.gid;
  entry.user = owner_.user;
  entry.group = owner_.group;
  return entry;
}

void MariadbNativeStream::QueueFile(const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (dirs_.insert(dir).second) {
      queue_.push_back(NativeMember{EntryFor(dir, core::TarEntryType::kDirectory), 0, {}});
    }
  }
  NativeMember file{EntryFor(path, core::TarEntryType::kFile), 0, {}};
  if (IsInnodbPagePath(path)) {
    file.block_size = block_size_;
  }
  queue_.push_back(std::move(file));
}

core::Status MariadbNativeStream::Complete() {
  if (Either(files_, "mariadb_backup_checkpoints", "xtrabackup_checkpoints").empty() ||
      !files_.count("backup-my.cnf")) {
    return core::Status(core::ErrorCode::kDumpFailed,
                        "backup by 'mariadb-backup' is incomplete: the stream holds no "
                        "mariadb_backup_checkpoints or backup-my.cnf",
                        "the backup was not saved; check the tool's error and retry");
  }
  metadata_ =
      ParseBinlogInfo(Either(files_, "mariadb_backup_binlog_info", "xtrabackup_binlog_info"));
  for (auto& [key, value] :
       ParseSlaveInfo(Either(files_, "mariadb_backup_slave_info", "xtrabackup_slave_info"))) {
    metadata_[key] = value;
  }
  for (auto& [key, value] :
       ParseGaleraInfo(Either(files_, "mariadb_backup_galera_info", "xtrabackup_galera_info"))) {
    metadata_[key] = value;
  }
  for (auto& [key, value] :
       ParseBackupInfo(Either(files_, "mariadb_backup_info", "xtrabackup_info"))) {
    metadata_[key] = value;
  }
  return core::Status::Ok();
}

core::Result<std::optional<NativeMember>> MariadbNativeStream::Next() {
  if (done_) {
    return std::optional<NativeMember>();
  }
  if (queue_.empty()) {
    kept_.clear();
    HS_ASSIGN_OR_RETURN(auto path, reader_.Next());
    if (!path) {
      // The reader drained the tool's stdout: its exit status has been checked by now.
      HS_TRY(Complete());
      done_ = true;
      hold_.reset();  // the copy is complete: end the hold (Galera: resync) at once
      return std::optional<NativeMember>();
    }
    if (KeptFiles().count(*path)) {
      kept_ = *path;
      files_[kept_].clear();
    }
    QueueFile(*path);
  }
  NativeMember member = std::move(queue_.front());
  queue_.pop_front();
  return std::optional<NativeMember>(std::move(member));
}

core::Result<size_t> MariadbNativeStream::ReadContent(std::span<uint8_t> buf) {
  HS_ASSIGN_OR_RETURN(size_t n, reader_.ReadContent(buf));
  if (!kept_.empty() && n > 0) {
    std::string& kept = files_[kept_];
    kept.append(reinterpret_cast<const char*>(buf.data()), n);
    if (kept.size() > kSmallFileBytes) {
      kept.erase(0, kept.size() - kSmallFileBytes);
    }
  }
  return n;
}

}  // namespace hasteward::engine::mariadb
