// Whether a database server's OS user can run what `archive enable` writes into its configuration.
// The server runs archive_command / restore_command as its own user (postgres), never as the user
// who ran hasteward: a binary built in root's home (/root is mode 0700) or a password file only
// root reads makes every wal-push fail inside the server, where nobody reads the error, and the
// archive silently stops. So it is checked before the server is told, not found after a timeout.
#pragma once

#include <string>

#include "core/status.h"
#include "pitr/pitr.h"

namespace hasteward::pitr {

// Ok when `os_user` can execute `context.binary` and read the password and S3 credentials files,
// or when the check does not apply (`os_user` empty or this process's own user, or not running as
// root, which cannot act as another user). Otherwise kUsage naming the path, the user and, when a
// directory on the way is the reason, that directory, with a hint to install the binary (or place
// the file) where the user reaches it.
core::Status CheckServerUserReaches(const WalCommandContext& context, const std::string& os_user);

}  // namespace hasteward::pitr
