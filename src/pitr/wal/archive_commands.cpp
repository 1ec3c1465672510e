#include "pitr/pitr.h"

namespace hasteward::pitr {

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

core::Result<engine::ArchiveCommands> BuildArchiveCommands(const WalCommandContext& context) {
  if (context.password_file.empty()) {
    return core::Usage(
        "the server's archive and restore commands need the repository password in a file",
        "pass --password-file (or set RESTIC_PASSWORD_FILE) naming a file the database's OS "
        "user can read (mode 0600, owned by it); a password is never written into the server's "
        "configuration");
  }
  if (context.repository.starts_with("s3:") && context.s3_credentials_file.empty()) {
    // Without it every wal-push would fail inside the server, where nobody reads the error: the
    // server's environment is scrubbed of AWS_* variables (core/credential_env.h).
    return core::Usage(
        "the server's archive and restore commands need S3 credentials in a file",
        "pass --s3-credentials-file naming an AWS credentials file the database's OS user can "
        "read (mode 0600, owned by it); keys are never written into the server's configuration");
  }
  auto scheme_end = context.repository.find("://");
  auto at = context.repository.find('@');
  auto path_start =
      context.repository.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (scheme_end != std::string::npos && at != std::string::npos && at < path_start) {
    return core::Usage("the repository location carries credentials",
                       "they would be written into the server's configuration; give the server "
                       "a location without user:password");
  }
  std::string identity = std::string(" -e ") + platform::EngineKindName(context.cluster.engine) +
                         " -c " + ShellQuote(context.cluster.name) + " -n " +
                         ShellQuote(context.cluster.ns) + " -r " + ShellQuote(context.repository) +
                         " --password-file " + ShellQuote(context.password_file);
  if (!context.s3_credentials_file.empty()) {
    identity += " --s3-credentials-file " + ShellQuote(context.s3_credentials_file);
  }
  auto with_verb = [&](const std::string& verb) {
    // The server expands %p/%f/%r and turns %% into %: a '%' of ours must not become a path.
    std::string line = ShellQuote(context.binary) + " -q " + verb + identity;
    std::string escaped;
    for (char c : line) {
      escaped += c;
      if (c == '%') {
        escaped += '%';
      }
    }
    return escaped;
  };
  engine::ArchiveCommands commands;
  std::string push = with_verb("wal-push");
  std::string fetch = with_verb("wal-fetch");
  if (!context.agent_socket.empty()) {
    // The agent serves both: wal-fetch reads through its open repository and its read-ahead.
    push += " --agent-socket " + ShellQuote(context.agent_socket);
    fetch += " --agent-socket " + ShellQuote(context.agent_socket);
  }
  commands.archive_command = push + " \"%p\"";
  commands.restore_command = fetch + " \"%f\" \"%p\"";
  return commands;
}

}  // namespace hasteward::pitr
