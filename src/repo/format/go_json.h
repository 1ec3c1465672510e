#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace hasteward::repo {

// restic's JSON is written by Go's encoding/json; tree blob IDs are hashes of those bytes, so
// these helpers reproduce Go's output exactly (restic-format.md §6.4).

// A JSON string literal (with quotes) as Go encodes it: <, >, & as \u003c.. , control bytes as
// \u00XX except \n \r \t, U+2028/2029 escaped, invalid UTF-8 as \ufffd.
std::string GoJsonString(std::string_view s);

// strconv.Quote without the surrounding quotes: how restic stores node names (§6.3). Printable
// UTF-8 stays raw.
std::string GoQuoteName(std::string_view s);
// The inverse of GoQuoteName (used when reading restic-written trees). kCorruption when malformed.
core::Result<std::string> GoUnquoteName(std::string_view s);

// A point in time with the UTC offset it was written in.
struct GoTime {
  int64_t unix_seconds = 0;
  int32_t nanos = 0;
  int32_t offset_seconds = 0;  // east of UTC

  // RFC3339 with up to 9 fraction digits (trailing zeros dropped), "Z" for offset 0.
  std::string Format() const;
  // Wall-clock fields in the stored offset.
  struct Civil {
    int year, month, day, hour, minute, second;
  };
  Civil ToCivil() const;
  bool operator<(const GoTime& o) const {
    return unix_seconds != o.unix_seconds ? unix_seconds < o.unix_seconds : nanos < o.nanos;
  }
};

// Parses RFC3339 / RFC3339Nano, keeping the offset. kUsage on malformed input.
core::Result<GoTime> ParseGoTime(std::string_view s);
// Parses "YYYY-MM-DD HH:MM:SS" in the process's local time zone (restic's --time).
core::Result<GoTime> ParseLocalTime(std::string_view s);
// A system_clock value expressed in the process's local time zone.
GoTime LocalTimeFromUnix(int64_t unix_seconds, int32_t nanos);
// `clock`'s Now() in local time, in whole seconds: a job's start time names its snapshots and is
// compared for equality across them (README "Snapshot Timestamps"), so no sub-second digits.
GoTime LocalTimeNow(const core::Clock& clock);

}  // namespace hasteward::repo
