#include "support/server_user_file.h"

#include <sys/stat.h>

#include "support/command.h"

namespace hasteward::testing {

core::Result<std::string> WriteServerUserFile(const std::string& path, const std::string& content,
                                              const std::string& os_user) {
  WriteFile(path, content);
  CmdResult owned = RunCommand({"chown", os_user, path});
  if (owned.exit_code != 0) {
    return core::Internal("chown " + os_user + " " + path + ": " + owned.err);
  }
  if (::chmod(path.c_str(), 0600) != 0) {
    return core::Internal("chmod 0600 " + path + " failed");
  }
  return path;
}

}  // namespace hasteward::testing
