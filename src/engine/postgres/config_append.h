// The shell scripts that append settings to a PostgreSQL configuration file inside an instance's
// data directory (run where the data directory is: a pod through exec, or this host).
#pragma once

namespace hasteward::engine::postgres {

// Appends stdin to the file $1, also when it is read-only: CloudNativePG makes
// postgresql.auto.conf read-only to disable ALTER SYSTEM (its `enableAlterSystem: false`, the
// default) and a base backup of its instance keeps that mode (found on the real operator, issue
// 51: a native restore failed with "Permission denied"). The read-only mode is put back after.
#define HASTEWARD_APPEND_READ_ONLY_TOO(file)                                       \
  "f=" file                                                                        \
  "; ro=0; if [ -e \"$f\" ] && [ ! -w \"$f\" ]; then chmod u+w \"$f\"; ro=1; fi; " \
  "cat >> \"$f\"; if [ $ro = 1 ]; then chmod u-w \"$f\"; fi"

// $1: the file; stdin: the settings.
inline constexpr char kAppendConfigScript[] = "set -e; " HASTEWARD_APPEND_READ_ONLY_TOO("\"$1\"");
// $1: the data directory; stdin: the settings for postgresql.auto.conf; recovery.signal made.
inline constexpr char kAppendRecoveryScript[] = "set -e; " HASTEWARD_APPEND_READ_ONLY_TOO(
    "\"$1/postgresql.auto.conf\"") "; : > \"$1/recovery.signal\"";

#undef HASTEWARD_APPEND_READ_ONLY_TOO

// $1: the data directory. Makes a read-only postgresql.auto.conf writable for an ALTER SYSTEM
// (which CloudNativePG's read-only file refuses: "could not open file", found on the real
// operator, issue 51) and prints "read-only" when it was; kLockAutoConfScript puts the mode back
// (ALTER SYSTEM replaces the file with a new, writable one).
inline constexpr char kUnlockAutoConfScript[] =
    "f=\"$1/postgresql.auto.conf\"; if [ -e \"$f\" ] && [ ! -w \"$f\" ]; then "
    "chmod u+w \"$f\" && echo read-only; fi";
inline constexpr char kLockAutoConfScript[] = "chmod a-w \"$1/postgresql.auto.conf\"";

}  // namespace hasteward::engine::postgres
