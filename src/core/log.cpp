#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "core/clock.h"
#include "core/redact.h"

namespace hasteward::core {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<bool> g_json{false};
std::atomic<bool> g_quiet{false};
std::mutex g_mu;

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string TimestampUtc() {
  auto now = SystemClock::Get().Now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

void Log::SetLevel(LogLevel level) {
  g_level = static_cast<int>(level);
}
void Log::SetJson(bool json) {
  g_json = json;
}
void Log::SetQuiet(bool quiet) {
  g_quiet = quiet;
}

void Log::Write(LogLevel level, const std::string& msg,
                const std::map<std::string, std::string>& fields) {
  if (static_cast<int>(level) < g_level.load()) {
    return;
  }
  if (g_quiet && level < LogLevel::kWarn) {
    return;
  }
  std::string line;
  if (g_json) {
    line = "{\"time\":\"" + TimestampUtc() + "\",\"level\":\"" + LevelName(level) +
           "\",\"msg\":\"" + JsonEscape(msg) + "\"";
    for (const auto& [k, v] : fields) {
      line += ",\"" + JsonEscape(k) + "\":\"" + JsonEscape(v) + "\"";
    }
    line += "}\n";
  } else {
    line = (level >= LogLevel::kWarn ? std::string(LevelName(level)) + ": " : std::string()) + msg;
    for (const auto& [k, v] : fields) {
      line.append(" ").append(k).append("=").append(v);
    }
    line += "\n";
  }
  // Messages and fields quote errors that may carry a repository URL: no credentials in logs.
  line = RedactUrlCredentials(line);
  std::lock_guard<std::mutex> lock(g_mu);
  std::fputs(line.c_str(), stderr);
}

}  // namespace hasteward::core
