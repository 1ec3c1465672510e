#include "engine/mariadb/backup_in_instance.h"

#include <charconv>
#include <csignal>
#include <regex>

#include "core/clock.h"
#include "core/fd.h"
#include "core/log.h"

namespace hasteward::engine::mariadb {

namespace {

// POSIX sh, coreutils only (what the server images carry). Each step says why:
// - umask 077, mktemp -d: the scratch directory and the option file are the instance user's only;
// - fd 4 writes and fd 3 reads the option file, which is unlinked before a byte of it is written,
//   so the credentials never have a name (and vanish with the last process holding them);
// - `read` then `head -c`: the byte count ends the input, so the half-close of stdin (which
//   v4.channel.k8s.io cannot send) is not needed;
// - mariadb-backup's stdin is /dev/null and its status is the script's; a status above 128 is a
//   signal, named on stderr (the tail in HASteward's error) since the exec API reports only codes.
constexpr char kScript[] = R"sh(set -eu
umask 077
tool=mariadb-backup
command -v "$tool" >/dev/null 2>&1 || tool=mariabackup
d=$(mktemp -d "${TMPDIR:-/tmp}/hasteward-backup.XXXXXX")
trap 'rm -rf "$d"' EXIT
exec 4>"$d/options" 3<"$d/options"
rm -f "$d/options"
IFS= read -r size
head -c "$size" >&4
exec 4>&-
rc=0
"$tool" --defaults-extra-file=/dev/fd/3 --target-dir="$d" --tmpdir="$d" "$@" </dev/null || rc=$?
if [ "$rc" -gt 128 ]; then echo "$tool was killed by signal $((rc - 128))" >&2; fi
exit "$rc"
)sh";

}  // namespace

std::vector<std::string> InstanceBackupArgv(const std::vector<std::string>& flags) {
  // "$0" of the script is "mariadb-backup": what ps in the instance shows beside sh.
  std::vector<std::string> argv = {"sh", "-c", kScript, "mariadb-backup"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return argv;
}

std::string InstanceBackupInput(const std::string& option_text) {
  return std::to_string(option_text.size()) + "\n" + option_text;
}

core::Result<std::unique_ptr<ToolDumpStream>> StartBackupInInstance(
    platform::InstanceHandle& handle, const std::string& option_text,
    const std::vector<std::string>& flags) {
  core::SubprocessOptions options;
  options.argv = InstanceBackupArgv(flags);
  options.stdin_mode = core::StdioMode::kPipe;
  options.stdout_mode = core::StdioMode::kPipe;
  options.stderr_mode = core::StdioMode::kPipe;
  core::LogInfo("starting native backup in the instance",
                {{"instance", handle.instance().name}, {"command", core::JoinArgv(flags)}});
  HS_ASSIGN_OR_RETURN(auto process, handle.Exec(std::move(options)));
  // A few hundred bytes: the pipe takes them before the command reads any.
  core::Status fed =
      core::WriteAll(process->stdin_fd(), core::AsBytes(InstanceBackupInput(option_text)));
  process->CloseStdin();
  if (!fed.ok()) {
    process->Signal(SIGKILL);
    return std::move(
        fed.Wrap("hand the credentials to mariadb-backup on '" + handle.instance().name + "'"));
  }
  return ToolDumpStream::Adopt(std::move(process), "mariadb-backup", "");
}

std::optional<MemberOwner> ParseIdOutput(const std::string& text) {
  static const std::regex kId(R"(uid=(\d+)\(([^)]*)\)\s+gid=(\d+)\(([^)]*)\))");
  std::smatch match;
  if (!std::regex_search(text, match, kId)) {
    return std::nullopt;
  }
  MemberOwner owner;
  const std::string uid = match[1].str();
  const std::string gid = match[3].str();
  if (std::from_chars(uid.data(), uid.data() + uid.size(), owner.uid).ec != std::errc() ||
      std::from_chars(gid.data(), gid.data() + gid.size(), owner.gid).ec != std::errc()) {
    return std::nullopt;
  }
  owner.user = match[2].str();
  owner.group = match[4].str();
  return owner;
}

core::Result<MemberOwner> OwnerInInstance(platform::InstanceHandle& handle) {
  HS_ASSIGN_OR_RETURN(core::RunOutput id, handle.Run({"id"}));
  std::optional<MemberOwner> owner = ParseIdOutput(id.out);
  if (!id.status.ok() || !owner.has_value()) {
    return core::Status(
        core::ErrorCode::kInternal,
        "'id' on '" + handle.instance().name + "' " + id.status.Describe() + ": " + id.out + id.err,
        "the instance needs coreutils' id for a native backup");
  }
  owner->mtime = core::SystemClock::Get().NowUnixSeconds();
  return *owner;
}

}  // namespace hasteward::engine::mariadb
