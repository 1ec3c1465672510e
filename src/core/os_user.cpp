#include "core/os_user.h"

#include <vector>

#include <pwd.h>
#include <unistd.h>

namespace hasteward::core {

namespace {

constexpr size_t kPasswdBufferSize = 16384;

}  // namespace

Result<OsUser> LookupOsUser(const std::string& name) {
  struct passwd pw {};
  struct passwd* result = nullptr;
  std::vector<char> buf(kPasswdBufferSize);
  int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result);
  if (rc != 0 || result == nullptr) {
    return NotFound("os user '" + name + "' does not exist",
                    "create the user or change osUser in the inventory");
  }
  return OsUser{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir};
}

OsUser CurrentOsUser() {
  struct passwd pw {};
  struct passwd* result = nullptr;
  std::vector<char> buf(kPasswdBufferSize);
  uid_t uid = ::geteuid();
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr) {
    return OsUser{uid, ::getegid(), std::to_string(uid), "/"};
  }
  return OsUser{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir};
}

bool RunningAsRoot() {
  return ::geteuid() == 0;
}

Status RunAsOsUser(const std::string& os_user, SubprocessOptions& options) {
  if (os_user.empty() || !RunningAsRoot()) {
    return Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(OsUser u, LookupOsUser(os_user));
  if (u.uid == 0) {
    return Status::Ok();
  }
  options.uid = u.uid;
  options.gid = u.gid;
  options.env_set["HOME"] = u.home;
  options.env_set["USER"] = u.name;
  options.env_set["LOGNAME"] = u.name;
  if (options.cwd.empty()) {
    // push_back, not = "/": GCC 12 reports a false -Wrestrict on the inlined assignment.
    options.cwd.push_back('/');
  }
  return Status::Ok();
}

}  // namespace hasteward::core
