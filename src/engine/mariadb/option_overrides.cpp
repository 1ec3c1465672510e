#include "engine/mariadb/option_overrides.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace hasteward::engine::mariadb {

namespace {

constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxValueLength = 1024;
constexpr const char* kValuePunctuation = ".,:/+-=@%*_";

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos)
    return "";
  size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

bool AllDigits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// "-12.5", "3": an optional sign, digits, an optional fraction.
bool IsDecimal(const std::string& value) {
  std::string body = !value.empty() && value[0] == '-' ? value.substr(1) : value;
  size_t dot = body.find('.');
  if (dot == std::string::npos)
    return AllDigits(body);
  return AllDigits(body.substr(0, dot)) && AllDigits(body.substr(dot + 1));
}

core::Result<std::string> NormalizeInteger(const std::string& name, const std::string& value) {
  bool negative = !value.empty() && value[0] == '-';
  std::string digits = negative ? value.substr(1) : value;
  if (!AllDigits(digits)) {
    return core::Usage("value '" + value + "' of '" + name + "' is not an integer",
                       "give a plain number (suffixes such as K or M are not accepted at runtime)");
  }
  size_t first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  return (negative && digits != "0" ? "-" : "") + digits;
}

core::Result<std::string> NormalizeBoolean(const std::string& name, const std::string& value) {
  std::string upper = Upper(value);
  if (upper == "ON" || upper == "1" || upper == "TRUE" || upper == "YES")
    return std::string("ON");
  if (upper == "OFF" || upper == "0" || upper == "FALSE" || upper == "NO")
    return std::string("OFF");
  return core::Usage("value '" + value + "' of '" + name + "' is not a boolean", "use ON or OFF");
}

core::Result<std::string> NormalizeEnum(const std::string& name, const std::string& value,
                                        const std::string& enum_values) {
  std::string upper = Upper(value);
  if (enum_values.empty())
    return upper;
  std::istringstream list(enum_values);
  std::string member;
  while (std::getline(list, member, ',')) {
    if (Upper(member) == upper)
      return upper;
  }
  return core::Usage("value '" + value + "' of '" + name + "' is not one of " + enum_values,
                     "use one of the values the server lists");
}

}  // namespace

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

core::Result<std::string> NormalizeVariableName(const std::string& name) {
  bool valid = !name.empty() && name.size() <= kMaxNameLength &&
               std::all_of(name.begin(), name.end(), [](unsigned char c) {
                 return std::isalnum(c) != 0 || c == '_' || c == '-';
               });
  if (!valid) {
    return core::Usage("'" + name + "' is not a server variable name",
                       "a name has only letters, digits, '_' and '-' (SHOW GLOBAL VARIABLES "
                       "lists them)");
  }
  std::string out = name;
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c == '-' ? '_' : static_cast<char>(std::tolower(c));
  });
  return out;
}

core::Status CheckOptionValue(const std::string& name, const std::string& value) {
  // Why a whitelist: the value goes both into an option file line and into SQL; a character
  // missed by a blacklist (a newline, '#', a quote) would let the value write another option or
  // statement. Server values that need anything else are set by hand.
  bool valid =
      !value.empty() && value.size() <= kMaxValueLength &&
      std::all_of(value.begin(), value.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 ||
               std::string(kValuePunctuation).find(static_cast<char>(c)) != std::string::npos;
      });
  if (!valid) {
    return core::Usage("value of '" + name + "' has a character reconfigure does not write",
                       std::string("a value is 1-1024 letters, digits and ") + kValuePunctuation +
                           " (no spaces, quotes, '#', ';', brackets or line breaks)");
  }
  return core::Status::Ok();
}

VariableType ClassifyVariableType(const std::string& server_type) {
  std::string upper = Upper(server_type);
  if (upper == "BOOLEAN")
    return VariableType::kBoolean;
  if (upper.find("INT") != std::string::npos)
    return VariableType::kInteger;
  if (upper == "DOUBLE")
    return VariableType::kDouble;
  if (upper == "ENUM")
    return VariableType::kEnum;
  if (upper == "SET")
    return VariableType::kSet;
  return VariableType::kString;
}

core::Result<std::string> NormalizeValue(const std::string& name, VariableType type,
                                         const std::string& value, const std::string& enum_values) {
  HS_TRY(CheckOptionValue(name, value));
  switch (type) {
    case VariableType::kBoolean: return NormalizeBoolean(name, value);
    case VariableType::kInteger: return NormalizeInteger(name, value);
    case VariableType::kDouble:
      if (!IsDecimal(value)) {
        return core::Usage("value '" + value + "' of '" + name + "' is not a number",
                           "give a plain decimal number");
      }
      return value;
    case VariableType::kEnum: return NormalizeEnum(name, value, enum_values);
    case VariableType::kSet: return Upper(value);
    case VariableType::kString: return value;
  }
  return value;
}

std::string SqlLiteral(VariableType type, const std::string& normalized_value) {
  switch (type) {
    case VariableType::kBoolean:
    case VariableType::kInteger:
    case VariableType::kDouble: return normalized_value;
    case VariableType::kEnum:
    case VariableType::kSet:
    case VariableType::kString: break;
  }
  return "'" + normalized_value + "'";
}

std::string RenderOverrides(const OptionOverrides& overrides) {
  std::string text =
      "# Written by 'hasteward reconfigure': server variables that survive a restart.\n"
      "# Change them with 'hasteward reconfigure --set name=value'; this file is included last\n"
      "# by the instance's config file, so its values win.\n[mysqld]\n";
  for (const auto& [name, value] : overrides)
    text.append(name).append(" = ").append(value).append("\n");
  return text;
}

core::Result<OptionOverrides> ParseOverrides(const std::string& text) {
  OptionOverrides out;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#' || trimmed == "[mysqld]")
      continue;
    size_t eq = trimmed.find('=');
    auto name = NormalizeVariableName(Trim(trimmed.substr(0, eq)));
    std::string value = eq == std::string::npos ? "" : Trim(trimmed.substr(eq + 1));
    if (eq == std::string::npos || !name.ok() || !CheckOptionValue(*name, value).ok()) {
      return core::Corruption("override file line " + std::to_string(number) +
                              " is not 'name = value' as hasteward writes it: '" + trimmed + "'");
    }
    out[*name] = value;
  }
  return out;
}

OptionOverrides ParsePrintDefaults(const std::string& output) {
  OptionOverrides out;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("--", 0) != 0)
      continue;
    size_t eq = line.find('=');
    std::string raw = line.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    std::string value = eq == std::string::npos ? "ON" : line.substr(eq + 1);
    std::string name = raw;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
      return c == '-' ? '_' : static_cast<char>(std::tolower(c));
    });
    if (name.rfind("loose_", 0) == 0)
      name = name.substr(6);
    if (eq == std::string::npos && name.rfind("skip_", 0) == 0) {
      name = name.substr(5);
      value = "OFF";
    }
    out[name] = value;
  }
  return out;
}

std::string IncludeLine(const std::string& override_path) {
  return "!include " + override_path;
}

bool IncludesOverrideFile(const std::string& config_text, const std::string& override_path) {
  std::istringstream in(config_text);
  std::string line;
  while (std::getline(in, line)) {
    if (Trim(line) == IncludeLine(override_path))
      return true;
  }
  return false;
}

}  // namespace hasteward::engine::mariadb
