#pragma once

#include <map>
#include <string>

namespace hasteward::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Process-wide logger writing to stderr: human lines by default, JSON lines when enabled
// (`--log-format json`). Thread-safe. Never pass secrets in messages or fields.
class Log {
 public:
  static void SetLevel(LogLevel level);
  static void SetJson(bool json);
  static void SetQuiet(bool quiet);  // suppresses info and debug
  static void Write(LogLevel level, const std::string& msg,
                    const std::map<std::string, std::string>& fields = {});
};

inline void LogInfo(const std::string& msg, const std::map<std::string, std::string>& f = {}) {
  Log::Write(LogLevel::kInfo, msg, f);
}
inline void LogWarn(const std::string& msg, const std::map<std::string, std::string>& f = {}) {
  Log::Write(LogLevel::kWarn, msg, f);
}
inline void LogError(const std::string& msg, const std::map<std::string, std::string>& f = {}) {
  Log::Write(LogLevel::kError, msg, f);
}
inline void LogDebug(const std::string& msg, const std::map<std::string, std::string>& f = {}) {
  Log::Write(LogLevel::kDebug, msg, f);
}

}  // namespace hasteward::core
