#include "pitr/wal/server_user_access.h"

#include <vector>

#include "core/os_user.h"
#include "core/subprocess.h"

namespace hasteward::pitr {

namespace {

enum class Access { kExecute, kRead };

// Run as the server's user: exits 0 when it has the access, else prints the first directory on
// the path it cannot search (nothing when the file itself is the reason).
constexpr const char* kProbeScript = R"sh(
mode=$1; path=$2
test "$mode" = x && test -x "$path" && test -f "$path" && exit 0
test "$mode" = r && test -r "$path" && exit 0
rest=${path#/}; dir=""
while [ -n "$rest" ]; do
  dir="$dir/${rest%%/*}"
  case $rest in */*) rest=${rest#*/} ;; *) rest="" ;; esac
  if [ -n "$rest" ] && ! test -x "$dir"; then echo "$dir"; exit 1; fi
done
exit 1
)sh";

core::Status Probe(const std::string& os_user, Access access, const std::string& path,
                   const std::string& what) {
  core::SubprocessOptions options;
  options.argv = {"/bin/sh",
                  "-c",
                  kProbeScript,
                  "hasteward-access-probe",
                  access == Access::kExecute ? "x" : "r",
                  path};
  HS_TRY(core::RunAsOsUser(os_user, options));
  HS_ASSIGN_OR_RETURN(core::RunOutput run, core::Run(options));
  if (run.status.ok()) {
    return core::Status::Ok();
  }
  std::string blocked = run.out;
  while (!blocked.empty() && (blocked.back() == '\n' || blocked.back() == '\r')) {
    blocked.pop_back();
  }
  std::string verb = access == Access::kExecute ? "execute" : "read";
  std::string reason = blocked.empty() ? "" : " (it cannot enter the directory '" + blocked + "')";
  std::string hint =
      access == Access::kExecute
          ? "the server runs its archive and restore commands as '" + os_user +
                "': install hasteward where that user can run it (for example 'install -m 0755 " +
                path + " /usr/local/bin/hasteward') and run this command with that copy"
          : "the server runs its archive and restore commands as '" + os_user + "': put the " +
                what + " where that user can read it (mode 0600, owned by it)";
  return core::Usage("the server's OS user '" + os_user + "' cannot " + verb + " the " + what +
                         " '" + path + "'" + reason,
                     hint);
}

}  // namespace

core::Status CheckServerUserReaches(const WalCommandContext& context, const std::string& os_user) {
  if (os_user.empty() || !core::RunningAsRoot() || os_user == core::CurrentOsUser().name) {
    return core::Status::Ok();
  }
  HS_TRY(Probe(os_user, Access::kExecute, context.binary, "hasteward binary"));
  HS_TRY(Probe(os_user, Access::kRead, context.password_file, "password file"));
  if (!context.s3_credentials_file.empty()) {
    HS_TRY(Probe(os_user, Access::kRead, context.s3_credentials_file, "S3 credentials file"));
  }
  return core::Status::Ok();
}

}  // namespace hasteward::pitr
