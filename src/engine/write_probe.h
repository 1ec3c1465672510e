// engine/write_probe: whether a server takes writes right now, asked the only way that proves it:
// a write with an ordinary account's credentials, inside a transaction that is rolled back so the
// probe leaves nothing behind. A server that answers TCP may still be fenced (read-only, in
// recovery); only the write tells. Used by a DR activation before it makes another cluster
// writable (dr/source_probe.h): two writable clusters is how fail-backs lost data.
#pragma once

#include <string>

#include "platform/platform.h"

namespace hasteward::engine {

// What one probe learned. Only kNotWritable and kUnreachable say the server takes no writes now;
// kRefused and kUndetermined say nothing about writability, so a caller must never read them as
// "safe".
enum class WriteProbeVerdict {
  kWritable,      // the write was accepted (and rolled back)
  kNotWritable,   // the server answered and refused the write: read-only, in recovery, not primary
  kUnreachable,   // nothing answered (connection refused, timed out, no route)
  kRefused,       // the server rejected the probe's credentials
  kUndetermined,  // the server answered, but with an error that proves neither
};

// "writable", "not-writable", "unreachable", "refused", "undetermined".
const char* WriteProbeVerdictName(WriteProbeVerdict verdict);

// Where and as whom to probe. The account should be an ordinary one: an account allowed to
// write through read_only (MariaDB's READ ONLY ADMIN) makes a fenced server look writable.
struct WriteProbeTarget {
  std::string host;
  int port = 0;
  platform::Credentials credentials;  // the password is resolved when probing, never logged
};

struct WriteProbeResult {
  WriteProbeVerdict verdict = WriteProbeVerdict::kUndetermined;
  std::string detail;  // one line for people: the server's refusal or the connection error
};

}  // namespace hasteward::engine
