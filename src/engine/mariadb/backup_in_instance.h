// mariadb-backup run where the instance lives, through InstanceHandle::Exec, for instances whose
// data files are not on this machine (a pod on Kubernetes: the capability local-filesystem is
// missing). Its mbstream comes back on the command's stdout into the same reader as a local run.
//
// The credentials travel on the command's stdin, never in argv, the environment or a named file:
// a small POSIX shell script in the instance opens a scratch file twice, unlinks it, then copies
// the option text from stdin into it, and mariadb-backup reads it as /dev/fd/3. Why not
// --defaults-extra-file=/dev/stdin: mariadb-backup opens its option file three times (server,
// client and its own groups), and a pipe gives its content only to the first open; a deleted
// file reopened through /dev/fd starts from its beginning each time, like the memfd of a local run.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/client_tools.h"
#include "engine/mariadb/native_stream.h"
#include "platform/instance_handle.h"

namespace hasteward::engine::mariadb {

// The argv run through Exec: `sh -c <script> mariadb-backup <flags...>`. The script adds
// --defaults-extra-file (first, as mariadb-backup requires), --target-dir and --tmpdir (a private
// scratch directory it removes at exit), runs mariadb-backup (mariabackup in older images) and
// exits with its status; a tool killed by a signal is named on stderr.
std::vector<std::string> InstanceBackupArgv(const std::vector<std::string>& flags);

// What stdin carries: the byte count of `option_text` on one line, then the text.
std::string InstanceBackupInput(const std::string& option_text);

// Starts the backup in the instance and returns its stdout as a stream named "mariadb-backup": a
// non-zero exit or a signal is kDumpFailed with the command's stderr tail. `option_text` holds
// the credentials ([client] and [mariadb-backup] groups).
core::Result<std::unique_ptr<ToolDumpStream>> StartBackupInInstance(
    platform::InstanceHandle& handle, const std::string& option_text,
    const std::vector<std::string>& flags);

// "uid=999(mysql) gid=999(mysql) groups=..." (the output of `id`) -> uid, gid, user, group;
// nullopt when it does not parse.
std::optional<MemberOwner> ParseIdOutput(const std::string& text);

// Who the instance's commands run as (`id` run through Exec): the owner its restored files get.
core::Result<MemberOwner> OwnerInInstance(platform::InstanceHandle& handle);

}  // namespace hasteward::engine::mariadb
