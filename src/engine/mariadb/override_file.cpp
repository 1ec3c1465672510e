#include "engine/mariadb/override_file.h"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "engine/client_tools.h"

namespace hasteward::engine::mariadb {

namespace {

// The saved state of `path` before a write.
core::Result<SavedFile> Save(const std::string& path) {
  SavedFile saved;
  saved.path = path;
  auto content = core::ReadFileToString(path);
  if (content.ok()) {
    saved.existed = true;
    saved.content = std::move(*content);
  } else if (content.status().code() != core::ErrorCode::kNotFound) {
    return content.TakeStatus();
  }
  return saved;
}

// Writes `content` atomically with the owner and mode of `like` (the config file), so the server,
// running as its own OS user, reads it as it reads its config.
core::Status WriteLike(const std::string& path, const std::string& content,
                       const std::string& like) {
  struct stat st {};
  if (::stat(like.c_str(), &st) != 0) {
    return core::Status(core::ErrorCode::kStorage, "stat '" + like + "': " + std::strerror(errno),
                        "check that the instance's config file exists");
  }
  core::AtomicFileOptions options;
  options.mode = st.st_mode & 0644;
  HS_TRY(core::WriteFileAtomically(path, core::AsBytes(content), options));
  if (::chown(path.c_str(), st.st_uid, st.st_gid) != 0 && errno != EPERM) {
    return core::Status(core::ErrorCode::kStorage, "chown '" + path + "': " + std::strerror(errno));
  }
  return core::Status::Ok();
}

}  // namespace

core::Status SavedFile::Restore() const {
  if (existed)
    return WriteLike(path, content, path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return core::Status(core::ErrorCode::kStorage,
                        "remove '" + path + "': " + std::strerror(errno));
  }
  return core::Status::Ok();
}

core::Result<std::string> OverrideFilePath(const platform::InstanceHandle& handle) {
  const platform::Instance& instance = handle.instance();
  if (instance.config_file.empty()) {
    return core::Usage("instance '" + instance.name + "' has no config file in the inventory",
                       "set configFile for the instance: reconfigure persists settings beside it");
  }
  if (!handle.capabilities().Has(platform::Capability::kLocalFilesystem)) {
    return core::Usage("the config file of instance '" + instance.name + "' is not on this machine",
                       "run hasteward where the instance's files are, or change its settings in "
                       "the platform's own configuration");
  }
  size_t slash = instance.config_file.rfind('/');
  std::string dir = slash == std::string::npos ? "." : instance.config_file.substr(0, slash);
  return dir + "/" + kOverrideFileName;
}

core::Result<OptionOverrides> ReadOverrides(const platform::InstanceHandle& handle) {
  HS_ASSIGN_OR_RETURN(std::string path, OverrideFilePath(handle));
  auto text = core::ReadFileToString(path);
  if (!text.ok() && text.status().code() == core::ErrorCode::kNotFound)
    return OptionOverrides{};
  if (!text.ok())
    return text.TakeStatus();
  auto parsed = ParseOverrides(*text);
  if (!parsed.ok()) {
    // A safety stop, not repository corruption: the file is fine for the server, but rewriting
    // it could drop what somebody put there by hand.
    return core::Status(core::ErrorCode::kSafetyStop,
                        "'" + path + "': " + parsed.status().message(),
                        "fix or remove the line by hand; hasteward does not rewrite a file it "
                        "cannot read back");
  }
  return parsed;
}

core::Result<std::vector<SavedFile>> PersistOverrides(const platform::InstanceHandle& handle,
                                                      const OptionOverrides& values) {
  HS_ASSIGN_OR_RETURN(std::string path, OverrideFilePath(handle));
  HS_ASSIGN_OR_RETURN(OptionOverrides merged, ReadOverrides(handle));
  for (const auto& [name, value] : values)
    merged[name] = value;
  const std::string& config = handle.instance().config_file;
  std::vector<SavedFile> saved;
  HS_ASSIGN_OR_RETURN(SavedFile old_overrides, Save(path));
  std::string content = RenderOverrides(merged);
  // Why compare first: an unchanged file keeps its bytes and mtime, so tools watching it (and the
  // tests) see that nothing changed.
  if (!old_overrides.existed || old_overrides.content != content) {
    HS_TRY(WriteLike(path, content, config));
    saved.push_back(std::move(old_overrides));
  }
  HS_ASSIGN_OR_RETURN(SavedFile old_config, Save(config));
  if (!IncludesOverrideFile(old_config.content, path)) {
    std::string text = old_config.content;
    if (!text.empty() && text.back() != '\n')
      text += "\n";
    text += "\n# server variables set by 'hasteward reconfigure' (keep this line last)\n" +
            IncludeLine(path) + "\n";
    core::Status written = WriteLike(config, text, config);
    if (!written.ok()) {
      for (auto it = saved.rbegin(); it != saved.rend(); ++it)
        (void)it->Restore();  // best effort: the write error is what the user must see
      return written;
    }
    saved.push_back(std::move(old_config));
  }
  return saved;
}

core::Result<OptionOverrides> ReadStartupOptions(platform::InstanceHandle& handle) {
  const platform::Instance& instance = handle.instance();
  if (instance.config_file.empty()) {
    return core::Usage("instance '" + instance.name + "' has no config file in the inventory",
                       "set configFile for the instance");
  }
  HS_ASSIGN_OR_RETURN(core::RunOutput out,
                      handle.Run({ToolPath(instance, "my_print_defaults"),
                                  "--defaults-file=" + instance.config_file, "--mysqld"}));
  if (!out.status.ok()) {
    std::string err = out.err.substr(0, out.err.find('\n'));
    return core::Internal("cannot read the config of instance '" + instance.name +
                          "' with my_print_defaults: " + err);
  }
  return ParsePrintDefaults(out.out);
}

}  // namespace hasteward::engine::mariadb
