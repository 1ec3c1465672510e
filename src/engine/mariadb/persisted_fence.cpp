#include "engine/mariadb/persisted_fence.h"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/log.h"
#include "engine/mariadb/mariadb_connection.h"

namespace hasteward::engine::mariadb {

namespace {

// The config file path when the platform lets HASteward open it from here.
core::Result<std::string> LocalConfigFile(const platform::InstanceHandle& handle) {
  const platform::Instance& instance = handle.instance();
  if (instance.config_file.empty()) {
    return core::Usage("the inventory names no config file for '" + instance.name + "'",
                       "add configFile to the instance so a fence survives a restart");
  }
  if (!handle.capabilities().Has(platform::Capability::kLocalFilesystem)) {
    return core::Usage("the config file of '" + instance.name + "' is not reachable from here",
                       "fence it in the platform's own configuration");
  }
  return instance.config_file;
}

core::Status Rewrite(const std::string& path, const std::string& content) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return core::Status(core::ErrorCode::kStorage, "stat '" + path + "': " + std::strerror(errno),
                        "check that the instance's config file exists");
  }
  core::AtomicFileOptions options;
  options.mode = st.st_mode & 07777;
  HS_TRY(core::WriteFileAtomically(path, core::AsBytes(content), options));
  // The server reads its config as its own OS user: the new file keeps the old owner.
  if (::chown(path.c_str(), st.st_uid, st.st_gid) != 0 && errno != EPERM) {
    return core::Status(core::ErrorCode::kStorage, "chown '" + path + "': " + std::strerror(errno));
  }
  return core::Status::Ok();
}

}  // namespace

bool HasFenceBlock(const std::string& config) {
  return config.find(kFenceBlockBegin) != std::string::npos;
}

namespace {
constexpr char kNotePrefix[] = "# hasteward-note: ";
}  // namespace

std::string SwitchoverInProgressNote(const std::string& candidate) {
  return "switchover to '" + candidate + "' in progress";
}

std::optional<std::string> InterruptedSwitchoverCandidate(const std::vector<std::string>& notes) {
  const std::string prefix = "switchover to '", suffix = "' in progress";
  for (const auto& note : notes) {
    if (note.size() > prefix.size() + suffix.size() && note.rfind(prefix, 0) == 0 &&
        note.compare(note.size() - suffix.size(), suffix.size(), suffix) == 0)
      return note.substr(prefix.size(), note.size() - prefix.size() - suffix.size());
  }
  return std::nullopt;
}

std::vector<std::string> FenceNotes(const std::string& config) {
  std::vector<std::string> notes;
  size_t begin = config.find(kFenceBlockBegin);
  if (begin == std::string::npos)
    return notes;
  size_t end = config.find(kFenceBlockEnd, begin);
  std::string block = config.substr(begin, end == std::string::npos ? end : end - begin);
  for (size_t at = block.find(kNotePrefix); at != std::string::npos;
       at = block.find(kNotePrefix, at + 1)) {
    size_t start = at + std::strlen(kNotePrefix);
    size_t eol = block.find('\n', start);
    notes.push_back(block.substr(start, eol == std::string::npos ? eol : eol - start));
  }
  return notes;
}

std::string WithFenceBlock(const std::string& config, const std::vector<std::string>& notes) {
  if (HasFenceBlock(config) && FenceNotes(config) == notes)
    return config;
  std::string out = WithoutFenceBlock(config);
  if (!out.empty() && out.back() != '\n')
    out += '\n';
  std::string lines;
  for (const auto& note : notes)
    lines += kNotePrefix + note + "\n";
  // A [mysqld] group at the end: a later value of an option wins over an earlier one.
  return out + kFenceBlockBegin + "\n" + lines + "[mysqld]\nread_only = ON\n" + kFenceBlockEnd +
         "\n";
}

std::string WithoutFenceBlock(const std::string& config) {
  size_t begin = config.find(kFenceBlockBegin);
  if (begin == std::string::npos)
    return config;
  size_t end = config.find(kFenceBlockEnd, begin);
  if (end == std::string::npos)
    return config;
  end += std::strlen(kFenceBlockEnd);
  if (end < config.size() && config[end] == '\n')
    ++end;
  return config.substr(0, begin) + config.substr(end);
}

core::Status PersistReadOnlyFence(const platform::InstanceHandle& instance,
                                  const std::vector<std::string>& notes) {
  HS_ASSIGN_OR_RETURN(std::string path, LocalConfigFile(instance));
  HS_ASSIGN_OR_RETURN(std::string config, core::ReadFileToString(path));
  std::string fenced = WithFenceBlock(config, notes);
  if (fenced == config)
    return core::Status::Ok();
  return Rewrite(path, fenced);
}

std::vector<std::string> ReadFenceNotes(const platform::InstanceHandle& instance) {
  auto path = LocalConfigFile(instance);
  if (!path.ok())
    return {};
  auto config = core::ReadFileToString(*path);
  return config.ok() ? FenceNotes(*config) : std::vector<std::string>{};
}

core::Status RemovePersistedFence(const platform::InstanceHandle& instance) {
  if (instance.instance().config_file.empty())
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(std::string path, LocalConfigFile(instance));
  HS_ASSIGN_OR_RETURN(std::string config, core::ReadFileToString(path));
  if (!HasFenceBlock(config))
    return core::Status::Ok();
  return Rewrite(path, WithoutFenceBlock(config));
}

core::Status PersistRestoreFence(const platform::InstanceHandle& instance) {
  core::Status persisted = PersistReadOnlyFence(instance);
  if (persisted.code() == core::ErrorCode::kUsage) {
    // Why not refuse: on a platform whose config HASteward cannot write the restore worked like
    // this before; read_only is set right after the start instead, and the log says so.
    core::LogInfo("'" + instance.instance().name +
                  "' starts without a read_only fence in its configuration (" +
                  persisted.message() + "); read_only is set once it answers");
    return core::Status::Ok();
  }
  return persisted;
}

core::Status SetReadOnly(const platform::InstanceHandle& instance, bool read_only) {
  HS_ASSIGN_OR_RETURN(auto conn, MariadbConnection::ConnectInstance(instance));
  return conn->Execute(std::string("SET GLOBAL read_only = ") + (read_only ? "ON" : "OFF"))
      .Wrap(std::string("set read_only = ") + (read_only ? "ON" : "OFF") + " on '" +
            instance.instance().name + "'");
}

bool ReadsPersistedFence(const platform::InstanceHandle& instance) {
  auto path = LocalConfigFile(instance);
  if (!path.ok())
    return false;
  auto config = core::ReadFileToString(*path);
  return config.ok() && HasFenceBlock(*config);
}

}  // namespace hasteward::engine::mariadb
