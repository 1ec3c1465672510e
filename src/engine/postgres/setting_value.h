// The pure half of PostgreSQL's reconfigure: what a setting name and value may contain, how the
// server describes a setting (one pg_settings row plus what its configuration files say), how a
// value is checked against that description and compared with another spelling of the same value
// ("8MB" == "8192kB"), and what happens to one setting on one instance (ChangeAction). The
// server-side reads and ALTER SYSTEM live in reconfigure_plan.cpp / reconfigure_apply.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/reconfigure.h"

namespace hasteward::engine::postgres {

// When a change takes effect (pg_settings.context, PostgreSQL 15 docs, "pg_settings").
enum class SettingContext {
  kInternal,          // fixed when the server was built or initdb ran: cannot be set
  kPostmaster,        // read only at server start: needs a restart
  kSighup,            // read at reload
  kSuperuserBackend,  // read at reload by sessions that start afterwards
  kBackend,           // likewise
  kSuperuser,         // read at reload (and SET by superusers)
  kUser,              // read at reload (and SET by anyone)
};
// nullopt for a context this version does not know (refused: fail closed).
std::optional<SettingContext> ParseSettingContext(const std::string& text);

// pg_settings.vartype.
enum class SettingType { kBool, kInteger, kReal, kString, kEnum };
std::optional<SettingType> ParseSettingType(const std::string& text);

// What the server says about one setting.
struct PgSetting {
  std::string name;  // lowercase
  SettingContext context = SettingContext::kUser;
  SettingType type = SettingType::kString;
  std::string unit;  // pg_settings.unit: "", "kB", "8kB", "MB", "B", "ms", "s", "min"
  std::optional<double> min_value;
  std::optional<double> max_value;
  std::vector<std::string> enum_values;  // pg_settings.enumvals
  std::string source;                    // pg_settings.source: "default", "configuration file"...
  std::string boot_value;                // pg_settings.boot_val, in `unit`
  std::string running;                   // current_setting(name)
  // The value the server starts with according to its configuration files (the last row of
  // pg_file_settings for the name, postgresql.auto.conf included); nullopt when no file sets it.
  std::optional<std::string> file_value;
};

// The server's spelling of a setting name: lowercase. kUsage unless it is 1-63 letters, digits,
// '_' or '.' starting with a letter or '_' (an identifier, or a custom "extension.name"), so it
// can be written into ALTER SYSTEM unquoted without ending the statement or starting another.
core::Result<std::string> NormalizeSettingName(const std::string& name);

// kUsage when `value` contains a control character (newline, carriage return, tab, NUL, DEL...)
// or is longer than 4096 bytes: a value that could break a line of postgresql.auto.conf is
// refused before any server is asked. Quotes are allowed: values reach SQL only as literals.
core::Status CheckSettingValue(const std::string& name, const std::string& value);

// `value` in the server's spelling after checking it against `setting`: booleans "on"/"off",
// enum members as the server lists them, numbers as given (trimmed) after checking the number, the
// unit (one of the setting's family: B kB MB GB TB / us ms s min h d) and min/max. Strings are
// returned unchanged (ALTER SYSTEM checks them). kUsage naming what is wrong otherwise.
core::Result<std::string> NormalizeSettingValue(const PgSetting& setting, const std::string& value);

// Whether `left` and `right` mean the same value of `setting` (numbers compared in the setting's
// unit, booleans and enums case-insensitively, strings exactly).
bool SameSettingValue(const PgSetting& setting, const std::string& left, const std::string& right);

// Whether the running value the admin session sees comes from the session itself (ALTER ROLE /
// ALTER DATABASE ... SET, the client, SET) rather than from the server's configuration: then it
// says nothing about the system-wide value, so the change is always written and not verified.
bool SessionOverridden(const PgSetting& setting);

// What the server starts with: the file value, else the built-in default (with its unit).
std::string PersistedValue(const PgSetting& setting);

// Whether `requested` lowers one of the limits a hot standby must have at least as high as its
// primary (max_connections, max_worker_processes, max_wal_senders, max_prepared_transactions,
// max_locks_per_transaction): then the primary restarts first, or a standby restarted with the
// lower value stops replaying the primary's WAL.
bool LowersStandbyLimit(const PgSetting& setting, const std::string& requested);

// The plan of one setting on one instance, `requested` already normalized. kUsage for an
// internal setting, a setting hasteward reaches the instance through (port, listen_addresses,
// unix_socket_directories, file locations), a setting given on the server's command line (it would
// win over ALTER SYSTEM) and a restart-only setting whose running value differs without `restart`.
core::Result<PlannedChange> DecideChange(const PgSetting& setting, const std::string& requested,
                                         bool restart);

}  // namespace hasteward::engine::postgres
