#include "engine/postgres/setting_value.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace hasteward::engine::postgres {

namespace {

constexpr size_t kMaxNameLength = 63;  // NAMEDATALEN - 1
constexpr size_t kMaxValueLength = 4096;

std::string Lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(' ');
  if (begin == std::string::npos)
    return "";
  size_t end = text.find_last_not_of(' ');
  return text.substr(begin, end - begin + 1);
}

// The units PostgreSQL accepts in values (case-sensitive, as the server reads them), each in the
// smallest unit of its family: bytes for memory, microseconds for time.
enum class UnitFamily { kNone, kMemory, kTime };
struct Unit {
  const char* name;
  UnitFamily family;
  double factor;
};
constexpr std::array<Unit, 11> kUnits{{
    {"B", UnitFamily::kMemory, 1.0},
    {"kB", UnitFamily::kMemory, 1024.0},
    {"MB", UnitFamily::kMemory, 1024.0 * 1024},
    {"GB", UnitFamily::kMemory, 1024.0 * 1024 * 1024},
    {"TB", UnitFamily::kMemory, 1024.0 * 1024 * 1024 * 1024},
    {"us", UnitFamily::kTime, 1.0},
    {"ms", UnitFamily::kTime, 1000.0},
    {"s", UnitFamily::kTime, 1000.0 * 1000},
    {"min", UnitFamily::kTime, 60.0 * 1000 * 1000},
    {"h", UnitFamily::kTime, 3600.0 * 1000 * 1000},
    {"d", UnitFamily::kTime, 86400.0 * 1000 * 1000},
}};

const Unit* FindUnit(const std::string& name) {
  for (const auto& unit : kUnits) {
    if (name == unit.name)
      return &unit;
  }
  return nullptr;
}

// A setting's unit ("8kB": 8 of kB) as family and size of one unit in the family's smallest unit.
struct BaseUnit {
  UnitFamily family = UnitFamily::kNone;
  double factor = 1.0;
};
std::optional<BaseUnit> ParseBaseUnit(const std::string& unit) {
  if (unit.empty())
    return BaseUnit{};
  size_t digits = 0;
  while (digits < unit.size() && std::isdigit(static_cast<unsigned char>(unit[digits])) != 0)
    ++digits;
  double multiple = digits == 0 ? 1.0 : std::strtod(unit.substr(0, digits).c_str(), nullptr);
  const Unit* found = FindUnit(unit.substr(digits));
  if (found == nullptr)
    return std::nullopt;
  return BaseUnit{found->family, multiple * found->factor};
}

// Length of the decimal number at the start of `text` ([+-]digits[.digits][e[+-]digits]), 0 when
// there is none. Hexadecimal and octal spellings are not numbers here: the server would read "010"
// as 8, so a leading zero followed by digits is refused rather than guessed.
size_t NumberLength(const std::string& text) {
  size_t i = 0;
  auto digit = [&](size_t at) {
    return at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) != 0;
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-'))
    ++i;
  size_t int_start = i;
  while (digit(i))
    ++i;
  size_t int_digits = i - int_start;
  if (int_digits > 1 && text[int_start] == '0')
    return 0;
  size_t frac_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (digit(i)) {
      ++i;
      ++frac_digits;
    }
  }
  if (int_digits + frac_digits == 0)
    return 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t exp = i + 1;
    if (exp < text.size() && (text[exp] == '+' || text[exp] == '-'))
      ++exp;
    if (!digit(exp))
      return 0;
    while (digit(exp))
      ++exp;
    i = exp;
  }
  return i;
}

// `text` as a number in the setting's unit; nullopt when it is not a number, or its unit is not of
// the setting's family (or the setting takes no unit).
std::optional<double> ParseQuantity(const PgSetting& setting, const std::string& text) {
  auto base = ParseBaseUnit(setting.unit);
  if (!base)
    return std::nullopt;
  std::string trimmed = Trim(text);
  size_t length = NumberLength(trimmed);
  if (length == 0)
    return std::nullopt;
  double number = std::strtod(trimmed.substr(0, length).c_str(), nullptr);
  if (!std::isfinite(number))
    return std::nullopt;
  std::string unit_text = Trim(trimmed.substr(length));
  if (unit_text.empty())
    return number;
  const Unit* unit = FindUnit(unit_text);
  if (unit == nullptr || base->family == UnitFamily::kNone || unit->family != base->family)
    return std::nullopt;
  return number * unit->factor / base->factor;
}

std::string UnitHint(const PgSetting& setting) {
  auto base = ParseBaseUnit(setting.unit);
  if (!base || base->family == UnitFamily::kNone)
    return "give a plain number";
  return base->family == UnitFamily::kMemory
             ? "give a number with an optional unit B, kB, MB, GB or TB (plain: " + setting.unit +
                   ")"
             : "give a number with an optional unit us, ms, s, min, h or d (plain: " +
                   setting.unit + ")";
}

std::string FormatNumber(double number) {
  if (number == std::floor(number) && std::fabs(number) < 1e15)
    return std::to_string(static_cast<long long>(number));
  return std::to_string(number);
}

std::optional<bool> ParseBool(const std::string& text) {
  std::string lower = Lower(Trim(text));
  for (const char* yes : {"on", "true", "yes", "1"}) {
    if (lower == yes)
      return true;
  }
  for (const char* no : {"off", "false", "no", "0"}) {
    if (lower == no)
      return false;
  }
  return std::nullopt;
}

// Where hasteward itself reaches or finds the instance: changing them would cut it off, so they
// belong to the inventory / platform, not to reconfigure.
bool ReservedSetting(const std::string& name) {
  for (const char* reserved : {"data_directory", "config_file", "hba_file", "ident_file", "port",
                               "listen_addresses", "unix_socket_directories"}) {
    if (name == reserved)
      return true;
  }
  return false;
}

}  // namespace

std::optional<SettingContext> ParseSettingContext(const std::string& text) {
  static const std::array<std::pair<const char*, SettingContext>, 7> kContexts{{
      {"internal", SettingContext::kInternal},
      {"postmaster", SettingContext::kPostmaster},
      {"sighup", SettingContext::kSighup},
      {"superuser-backend", SettingContext::kSuperuserBackend},
      {"backend", SettingContext::kBackend},
      {"superuser", SettingContext::kSuperuser},
      {"user", SettingContext::kUser},
  }};
  for (const auto& [name, context] : kContexts) {
    if (text == name)
      return context;
  }
  return std::nullopt;
}

std::optional<SettingType> ParseSettingType(const std::string& text) {
  static const std::array<std::pair<const char*, SettingType>, 5> kTypes{{
      {"bool", SettingType::kBool},
      {"integer", SettingType::kInteger},
      {"real", SettingType::kReal},
      {"string", SettingType::kString},
      {"enum", SettingType::kEnum},
  }};
  for (const auto& [name, type] : kTypes) {
    if (text == name)
      return type;
  }
  return std::nullopt;
}

core::Result<std::string> NormalizeSettingName(const std::string& name) {
  std::string lower = Lower(name);
  bool ok = !lower.empty() && lower.size() <= kMaxNameLength &&
            (std::isalpha(static_cast<unsigned char>(lower[0])) != 0 || lower[0] == '_');
  for (char c : lower) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.');
  }
  if (!ok || lower.find("..") != std::string::npos || lower.back() == '.') {
    return core::Usage("'" + name + "' is not a setting name",
                       "a name is 1-63 letters, digits, '_' or '.' starting with a letter; "
                       "SELECT name FROM pg_settings lists them");
  }
  return lower;
}

core::Status CheckSettingValue(const std::string& name, const std::string& value) {
  if (value.size() > kMaxValueLength) {
    return core::Usage(
        "the value of '" + name + "' is longer than " + std::to_string(kMaxValueLength) + " bytes",
        "set it in postgresql.conf by hand");
  }
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return core::Usage(
          "the value of '" + name + "' contains a control character (newline, tab, ...)",
          "give the value on one line without control characters");
    }
  }
  return core::Status::Ok();
}

core::Result<std::string> NormalizeSettingValue(const PgSetting& setting,
                                                const std::string& value) {
  HS_TRY(CheckSettingValue(setting.name, value));
  switch (setting.type) {
    case SettingType::kBool: {
      auto parsed = ParseBool(value);
      if (!parsed) {
        return core::Usage("'" + value + "' is not a boolean for '" + setting.name + "'",
                           "use on or off");
      }
      return std::string(*parsed ? "on" : "off");
    }
    case SettingType::kEnum: {
      std::string lower = Lower(Trim(value));
      std::string listed;
      for (const auto& member : setting.enum_values) {
        if (Lower(member) == lower)
          return member;
        listed += (listed.empty() ? "" : ", ") + member;
      }
      return core::Usage("'" + value + "' is not a value of '" + setting.name + "'",
                         "use one of: " + listed);
    }
    case SettingType::kInteger:
    case SettingType::kReal: {
      auto quantity = ParseQuantity(setting, value);
      if (!quantity) {
        return core::Usage("'" + value + "' is not a number for '" + setting.name + "'",
                           UnitHint(setting));
      }
      double checked = setting.type == SettingType::kInteger ? std::rint(*quantity) : *quantity;
      if ((setting.min_value && checked < *setting.min_value) ||
          (setting.max_value && checked > *setting.max_value)) {
        return core::Usage("'" + value + "' is out of range for '" + setting.name + "'",
                           "give a value from " + FormatNumber(setting.min_value.value_or(0)) +
                               " to " + FormatNumber(setting.max_value.value_or(0)) +
                               (setting.unit.empty() ? "" : " (in " + setting.unit + ")"));
      }
      return Trim(value);
    }
    case SettingType::kString: return value;
  }
  return value;
}

bool SameSettingValue(const PgSetting& setting, const std::string& left, const std::string& right) {
  switch (setting.type) {
    case SettingType::kBool: {
      auto l = ParseBool(left);
      auto r = ParseBool(right);
      return l && r ? *l == *r : left == right;
    }
    case SettingType::kEnum: return Lower(Trim(left)) == Lower(Trim(right));
    case SettingType::kInteger:
    case SettingType::kReal: {
      auto l = ParseQuantity(setting, left);
      auto r = ParseQuantity(setting, right);
      if (!l || !r)
        return left == right;
      if (setting.type == SettingType::kInteger)
        return std::rint(*l) == std::rint(*r);
      return std::fabs(*l - *r) <= 1e-9 * std::max(1.0, std::fabs(*l));
    }
    case SettingType::kString: return left == right;
  }
  return left == right;
}

bool SessionOverridden(const PgSetting& setting) {
  for (const char* source : {"database", "user", "database user", "client", "session"}) {
    if (setting.source == source)
      return true;
  }
  return false;
}

std::string PersistedValue(const PgSetting& setting) {
  if (setting.file_value)
    return *setting.file_value;
  auto base = ParseBaseUnit(setting.unit);
  if (setting.unit.empty() || !base || NumberLength(setting.boot_value) == 0)
    return setting.boot_value;
  // "1024" of "8kB" reads as 1024 of the plain unit; spelled in the family's named unit instead.
  size_t digits = setting.unit.find_first_not_of("0123456789");
  double multiple =
      digits == 0 ? 1.0 : std::strtod(setting.unit.substr(0, digits).c_str(), nullptr);
  return FormatNumber(std::strtod(setting.boot_value.c_str(), nullptr) * multiple) +
         setting.unit.substr(digits);
}

bool LowersStandbyLimit(const PgSetting& setting, const std::string& requested) {
  bool limit = false;
  for (const char* name : {"max_connections", "max_worker_processes", "max_wal_senders",
                           "max_prepared_transactions", "max_locks_per_transaction"}) {
    limit = limit || setting.name == name;
  }
  auto running = ParseQuantity(setting, setting.running);
  auto wanted = ParseQuantity(setting, requested);
  return limit && running && wanted && *wanted < *running;
}

core::Result<PlannedChange> DecideChange(const PgSetting& setting, const std::string& requested,
                                         bool restart) {
  if (setting.context == SettingContext::kInternal) {
    return core::Usage("'" + setting.name + "' cannot be changed",
                       "it is fixed when PostgreSQL is built or the cluster is initialized");
  }
  if (ReservedSetting(setting.name)) {
    return core::Usage("'" + setting.name + "' tells hasteward where the instance is",
                       "change it through the inventory / platform, not reconfigure");
  }
  if (setting.source == "command line") {
    return core::Usage("'" + setting.name + "' is set on the server's command line",
                       "the command line wins over ALTER SYSTEM; change the instance's start "
                       "command instead");
  }
  PlannedChange change;
  change.name = setting.name;
  change.value = requested;
  change.running = setting.running;
  change.persisted = PersistedValue(setting);
  if (SameSettingValue(setting, change.running, requested) && !SessionOverridden(setting)) {
    change.action = SameSettingValue(setting, change.persisted, requested)
                        ? ChangeAction::kUnchanged
                        : ChangeAction::kPersistOnly;
  } else if (setting.context == SettingContext::kPostmaster) {
    if (!restart) {
      return core::Usage("'" + setting.name +
                             "' is a static variable, needs --restart: PostgreSQL reads it only "
                             "at start",
                         "add --restart for a rolling restart (standbys first, then the primary)");
    }
    change.action = ChangeAction::kPersistAndRestart;
  } else {
    change.action = ChangeAction::kApplyAndPersist;
  }
  return change;
}

}  // namespace hasteward::engine::postgres
