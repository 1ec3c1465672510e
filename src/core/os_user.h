// OS users: looking them up and making a child process run as one. The servers HASteward drives
// run as their own user (postgres, mysql) while HASteward itself may run as root.
#pragma once

#include <string>

#include <sys/types.h>

#include "core/status.h"
#include "core/subprocess.h"

namespace hasteward::core {

struct OsUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
  std::string home;
};

// getpwnam; kNotFound naming the user when it does not exist.
Result<OsUser> LookupOsUser(const std::string& name);
// The user this process runs as.
OsUser CurrentOsUser();
bool RunningAsRoot();

// When running as root and os_user names another user, makes `options` run as that user (uid,
// gid, HOME/USER/LOGNAME, cwd "/" unless set). Otherwise leaves them unchanged: a non-root
// process cannot switch users, and commands then run as whoever runs HASteward.
Status RunAsOsUser(const std::string& os_user, SubprocessOptions& options);

}  // namespace hasteward::core
