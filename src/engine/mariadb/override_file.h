// MariaDB's persisted overrides on disk: `hasteward-overrides.cnf` beside the instance's config
// file (the inventory's configFile; the sandbox's my.cnf), included by a `!include` line that
// PersistOverrides adds once at the end of that config file, so the overrides win over what the
// config file says earlier and a user on a plain host finds them next to the file they know.
// Usable by any MariaDB-family engine step that must make a setting survive a restart
// (reconfigure; a fenced old primary's read_only=ON).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/mariadb/option_overrides.h"
#include "platform/instance_handle.h"

namespace hasteward::engine::mariadb {

// A file as it was before it was written, so a failed reconfigure can put it back.
struct SavedFile {
  std::string path;
  bool existed = false;
  std::string content;
  // Writes the old content back atomically (or removes the file when it did not exist).
  core::Status Restore() const;
};

// The override file of the instance: "<dir of its config file>/hasteward-overrides.cnf". kUsage
// when the inventory gives no config file or the platform cannot reach the instance's files from
// here (Capability::kLocalFilesystem).
core::Result<std::string> OverrideFilePath(const platform::InstanceHandle& handle);

// The overrides written so far ({} when there is no file yet); kSafetyStop when the file is not
// as hasteward writes it (somebody edited it: it is never rewritten).
core::Result<OptionOverrides> ReadOverrides(const platform::InstanceHandle& handle);

// Merges `values` into the instance's overrides and writes the file atomically — only when its
// content changes — then makes sure the config file includes it. Returns the files as they were
// before each write (empty when nothing was written), newest last, for SavedFile::Restore.
core::Result<std::vector<SavedFile>> PersistOverrides(const platform::InstanceHandle& handle,
                                                      const OptionOverrides& values);

// The options the server would start with now (`my_print_defaults --defaults-file=<config>
// --mysqld`, run where the instance lives, includes followed). kUsage without a config file;
// kInternal naming the tool's error when it fails.
core::Result<OptionOverrides> ReadStartupOptions(platform::InstanceHandle& handle);

}  // namespace hasteward::engine::mariadb
