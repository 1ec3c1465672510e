#include "repo/format/go_json.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace hasteward::repo {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
size_t Utf8Length(std::string_view s, size_t i, uint32_t* rune) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t r;
  if (c < 0x80) {
    *rune = c;
    return 1;
  }
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    r = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    r = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    r = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size())
    return 0;
  for (size_t k = 1; k < len; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80)
      return 0;
    r = (r << 6) | (cc & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (r < kMin[len] || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
    return 0;
  *rune = r;
  return len;
}

// "\\u%04x" (JSON) or "\\x%02x" (Go quoting).
void AppendHexEscape(std::string* out, const char* fmt, unsigned v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  int width = fmt[1] == 'u' ? 4 : 2;
  *out += '\\';
  *out += fmt[1];
  for (int i = width - 1; i >= 0; --i)
    *out += kDigits[(v >> (4 * i)) & 0xf];
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

GoTime::Civil CivilFromDays(int64_t z, int64_t secs_of_day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  GoTime::Civil c{};
  c.year = static_cast<int>(y + (m <= 2));
  c.month = static_cast<int>(m);
  c.day = static_cast<int>(d);
  c.hour = static_cast<int>(secs_of_day / 3600);
  c.minute = static_cast<int>(secs_of_day / 60 % 60);
  c.second = static_cast<int>(secs_of_day % 60);
  return c;
}

bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size())
    return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c)
    return false;
  ++*pos;
  return true;
}

}  // namespace

std::string GoJsonString(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '<':
        case '>':
        case '&': AppendHexEscape(&out, "\\u%04x", c); break;
        default:
          if (c < 0x20) {
            AppendHexEscape(&out, "\\u%04x", c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    uint32_t r = 0;
    size_t len = Utf8Length(s, i, &r);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
    } else if (r == 0x2028 || r == 0x2029) {
      AppendHexEscape(&out, "\\u%04x", r);
      i += len;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += '"';
  return out;
}

std::string GoQuoteName(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      uint32_t r = 0;
      size_t len = Utf8Length(s, i, &r);
      if (len == 0) {
        AppendHexEscape(&out, "\\x%02x", c);
        ++i;
      } else {
        // Non-ASCII runes are kept raw; Go escapes the few non-printable ones (e.g. U+00A0,
        // U+200B, U+FEFF) — handled for the common ones here.
        if (r == 0xa0 || r == 0xad || (r >= 0x2000 && r <= 0x200f) || r == 0x2028 || r == 0x2029 ||
            r == 0xfeff || (r >= 0x80 && r < 0xa0)) {
          AppendHexEscape(&out, "\\u%04x", r);
        } else {
          out.append(s.substr(i, len));
        }
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case 7: out += "\\a"; break;
      case 8: out += "\\b"; break;
      case 12: out += "\\f"; break;
      case 10: out += "\\n"; break;
      case 13: out += "\\r"; break;
      case 9: out += "\\t"; break;
      case 11: out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          AppendHexEscape(&out, "\\x%02x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out;
}

core::Result<std::string> GoUnquoteName(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size())
      return core::Corruption("malformed quoted name");
    char e = s[i];
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case '\'': out += '\''; break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        if (i + n >= s.size())
          return core::Corruption("malformed quoted name");
        uint32_t v = 0;
        for (size_t k = 1; k <= n; ++k) {
          char h = s[i + k];
          int d = (h >= '0' && h <= '9')   ? h - '0'
                  : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                  : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                           : -1;
          if (d < 0)
            return core::Corruption("malformed quoted name");
          v = v * 16 + static_cast<uint32_t>(d);
        }
        i += n;
        if (e == 'x' || v < 0x80) {
          out += static_cast<char>(v);
        } else if (v < 0x800) {
          out += static_cast<char>(0xc0 | (v >> 6));
          out += static_cast<char>(0x80 | (v & 0x3f));
        } else if (v < 0x10000) {
          out += static_cast<char>(0xe0 | (v >> 12));
          out += static_cast<char>(0x80 | ((v >> 6) & 0x3f));
          out += static_cast<char>(0x80 | (v & 0x3f));
        } else {
          out += static_cast<char>(0xf0 | (v >> 18));
          out += static_cast<char>(0x80 | ((v >> 12) & 0x3f));
          out += static_cast<char>(0x80 | ((v >> 6) & 0x3f));
          out += static_cast<char>(0x80 | (v & 0x3f));
        }
        break;
      }
      default: return core::Corruption("malformed quoted name");
    }
  }
  return out;
}

GoTime::Civil GoTime::ToCivil() const {
  int64_t local = unix_seconds + offset_seconds;
  int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  return CivilFromDays(days, local - days * 86400);
}

std::string GoTime::Format() const {
  Civil c = ToCivil();
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  std::string out = buf;
  if (nanos != 0) {
    std::snprintf(buf, sizeof(buf), ".%09d", nanos);
    std::string frac = buf;
    while (frac.back() == '0')
      frac.pop_back();
    out += frac;
  }
  if (offset_seconds == 0) {
    out += 'Z';
  } else {
    int off = offset_seconds < 0 ? -offset_seconds : offset_seconds;
    std::snprintf(buf, sizeof(buf), "%c%02d:%02d", offset_seconds < 0 ? '-' : '+', off / 3600,
                  off / 60 % 60);
    out += buf;
  }
  return out;
}

core::Result<GoTime> ParseGoTime(std::string_view s) {
  size_t p = 0;
  int y, mo, d, h, mi, se;
  auto bad = [&] {
    return core::Usage("invalid time '" + std::string(s) + "'",
                       "use RFC3339, e.g. 2023-01-02T03:04:05Z");
  };
  if (!ReadDigits(s, &p, 4, &y) || !Expect(s, &p, '-') || !ReadDigits(s, &p, 2, &mo) ||
      !Expect(s, &p, '-') || !ReadDigits(s, &p, 2, &d) ||
      !(Expect(s, &p, 'T') || Expect(s, &p, 't') || Expect(s, &p, ' ')) ||
      !ReadDigits(s, &p, 2, &h) || !Expect(s, &p, ':') || !ReadDigits(s, &p, 2, &mi) ||
      !Expect(s, &p, ':') || !ReadDigits(s, &p, 2, &se)) {
    return bad();
  }
  GoTime t;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int64_t frac = 0;
    int digits = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (digits < 9) {
        frac = frac * 10 + (s[p] - '0');
        ++digits;
      }
      ++p;
    }
    if (digits == 0)
      return bad();
    while (digits++ < 9)
      frac *= 10;
    t.nanos = static_cast<int32_t>(frac);
  }
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh, om;
    if (!ReadDigits(s, &p, 2, &oh) || !Expect(s, &p, ':') || !ReadDigits(s, &p, 2, &om)) {
      return bad();
    }
    t.offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return bad();
  }
  if (p != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
    return bad();
  }
  t.unix_seconds = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                   int64_t{h} * 3600 + int64_t{mi} * 60 + se - t.offset_seconds;
  return t;
}

GoTime LocalTimeFromUnix(int64_t unix_seconds, int32_t nanos) {
  std::time_t tt = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return GoTime{unix_seconds, nanos, static_cast<int32_t>(tm.tm_gmtoff)};
}

GoTime LocalTimeNow(const core::Clock& clock) {
  // Nanoseconds, as restic records: at whole seconds two backups in the same second tie, and
  // "latest" then picks by listing order, differently in restic and here.
  const auto since_epoch = clock.Now().time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - seconds);
  return LocalTimeFromUnix(seconds.count(), static_cast<int32_t>(nanos.count()));
}

core::Result<GoTime> ParseLocalTime(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%Y-%m-%d %H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') {
    // Also accept a full RFC3339 time.
    auto t = ParseGoTime(s);
    if (t.ok())
      return t;
    return core::Usage("invalid time '" + str + "'", "use \"YYYY-MM-DD HH:MM:SS\" (local time)");
  }
  tm.tm_isdst = -1;
  std::time_t tt = mktime(&tm);
  return LocalTimeFromUnix(static_cast<int64_t>(tt), 0);
}

}  // namespace hasteward::repo
