// cli: the `hasteward` command line. One file per command group (`<name>_command.cpp`); each only
// parses flags, calls the layer that does the work, and maps the returned Status to text and an
// exit code (docs/exit-codes.md). Nothing includes cli; it is the top of the dependency table.
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "core/status.h"

namespace hasteward::cli {

// Flags shared by every command, with their environment fallbacks (HASteward README).
struct GlobalOptions {
  std::string backups_path;     // --backups-path, HASTEWARD_BACKUPS_PATH, RESTIC_REPOSITORY
  std::string restic_password;  // --restic-password, RESTIC_PASSWORD
  std::string password_file;    // --restic-password-file, RESTIC_PASSWORD_FILE
  // --s3-credentials-file, HASTEWARD_S3_CREDENTIALS_FILE: an AWS INI file, the only source of S3
  // keys when set; `archive enable` writes it into the server's commands.
  std::string s3_credentials_file;
  std::string engine;               // -e, HASTEWARD_ENGINE
  std::string cluster;              // -c, HASTEWARD_CLUSTER
  std::string ns = "default";       // -n, HASTEWARD_NAMESPACE
  bool ns_explicit = false;         // -n or HASTEWARD_NAMESPACE was given (filters use it)
  std::string inventory;            // --inventory, HASTEWARD_INVENTORY
  std::string platform;             // --platform, HASTEWARD_PLATFORM ("" = local)
  std::string output = "auto";      // --output auto|human|json|jsonl
  bool json = false;                // --json (same as --output json)
  bool quiet = false;               // -q
  bool verbose = false;             // -v, HASTEWARD_VERBOSE: debug logging
  bool dry_run = false;             // --dry-run
  std::string log_format = "text";  // --log-format text|json
  std::string progress = "auto";    // --progress auto|always|never|json

  bool WantsJson() const { return json || output == "json" || output == "jsonl"; }
  // The repository password from flag, file or env; kUsage with a hint when none is given.
  core::Result<std::string> Password() const;
  core::Result<std::string> Repository() const;
  // Fills unset fields from the environment (called after parsing).
  void ApplyEnvironment();
};

// Where a command puts its outcome; main() turns it into an exit code.
struct CommandOutcome {
  core::Status status;
  int exit_code_override = -1;  // e.g. triage's degraded/split-brain codes
  // When set, any failure exits with it instead of its error code (wal-fetch: PostgreSQL's
  // restore_command contract).
  int failure_exit_code = -1;
};

// Runs the CLI and returns the process exit code.
int Main(int argc, char** argv);

// Every command honours --dry-run or refuses it; a command that cannot preview what it would do
// calls this first. Ok when --dry-run is not given; otherwise a usage error naming the command,
// `why` it cannot preview and what to run instead (`hint`).
// The password a file holds, without its trailing line breaks; kUsage with `hint` when unreadable.
core::Result<std::string> ReadPasswordFile(const std::string& path, const std::string& hint);

core::Status RefuseDryRun(const GlobalOptions& g, const std::string& command,
                          const std::string& why, const std::string& hint);

// Prints an error the way every command does: "error: <message>" and "HINT: <hint>".
void PrintError(const core::Status& status, const GlobalOptions& g);

}  // namespace hasteward::cli
