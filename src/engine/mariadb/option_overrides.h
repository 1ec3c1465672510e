// The pure half of MariaDB's persisted overrides: what a variable name and value may contain
// (nothing that could end an option line, start a comment or a section, or escape a quote — in the
// option file or in SET GLOBAL), how a value is spelled for comparison and for SQL given the
// server's type of the variable, and the override file's text (render and parse). The file itself
// is read and written by override_file.h.
#pragma once

#include <map>
#include <string>

#include "core/status.h"

namespace hasteward::engine::mariadb {

// Persisted overrides of one instance: variable name (normalized) -> value.
using OptionOverrides = std::map<std::string, std::string>;

// The override file's name; it lives beside the instance's config file, which includes it last.
inline constexpr const char* kOverrideFileName = "hasteward-overrides.cnf";

// `text` in upper case (ASCII): option values and variable names compare case-blind.
std::string Upper(std::string text);

// The server's spelling of a variable name: lowercase, '-' as '_'. kUsage unless it is 1-64
// letters, digits, '_' or '-' (so it can be neither a comment, a section header, a second line
// nor a quote in the option file or in SQL).
core::Result<std::string> NormalizeVariableName(const std::string& name);

// kUsage unless `value` is 1-1024 characters of letters, digits and . , : / + - = @ % * _ only:
// no whitespace, control character, quote, backslash, '#', ';', '[' or ']'.
core::Status CheckOptionValue(const std::string& name, const std::string& value);

// How the server types a variable (information_schema.SYSTEM_VARIABLES.VARIABLE_TYPE, reduced).
enum class VariableType { kBoolean, kInteger, kDouble, kEnum, kSet, kString };
VariableType ClassifyVariableType(const std::string& server_type);

// The value in the server's spelling for comparison and persistence: booleans ON/OFF, integers
// without leading zeros, enum and set members uppercase. kUsage when the value cannot be of the
// type (or is not one of `enum_values`, the server's comma-separated list, when that is given).
core::Result<std::string> NormalizeValue(const std::string& name, VariableType type,
                                         const std::string& value, const std::string& enum_values);

// The value as an SQL literal for SET GLOBAL: numbers and booleans bare, the rest in quotes
// (CheckOptionValue guarantees there is no quote or backslash to escape).
std::string SqlLiteral(VariableType type, const std::string& normalized_value);

// The override file's text: a header saying who writes it, "[mysqld]", one "name = value" line
// per entry in name order.
std::string RenderOverrides(const OptionOverrides& overrides);

// Parses what RenderOverrides wrote (comments and blank lines allowed). kCorruption naming the
// line for anything else: a hand-edited file is not silently rewritten.
core::Result<OptionOverrides> ParseOverrides(const std::string& text);

// The effective options from `my_print_defaults --mysqld` output ("--name=value" lines, the last
// occurrence wins): names normalized, "loose-" dropped, "--skip-x" as x=OFF and a bare "--x" as
// x=ON.
OptionOverrides ParsePrintDefaults(const std::string& output);

// The line that includes the override file at `path` from the main config file.
std::string IncludeLine(const std::string& override_path);
// Whether `config_text` has that line.
bool IncludesOverrideFile(const std::string& config_text, const std::string& override_path);

}  // namespace hasteward::engine::mariadb
