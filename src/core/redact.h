// core/redact: the one place that hides credentials in repository locations and URLs before they
// are printed, logged, put in JSON or in a child's argv. Follows restic (location.StripPassword):
// the user stays visible, the password becomes "***".
#pragma once

#include <string>
#include <string_view>

namespace hasteward::core {

// The mask that replaces a password.
inline constexpr std::string_view kRedactedPassword = "***";

// Replaces the password of every "scheme://user:password@host" in `text` by "***":
//   "rest:https://user:pass@host/repo" -> "rest:https://user:***@host/repo"
//   "s3:https://KEY:SECRET@host/bucket" -> "s3:https://KEY:***@host/bucket"
// Works on a bare location as well as on a whole message or log line that quotes one; text
// without credentials is returned unchanged.
std::string RedactUrlCredentials(std::string_view text);

// Replaces the quoted secret after `IDENTIFIED BY`, `PASSWORD` (also `PASSWORD(` and
// `PASSWORD =`) and `USING` (any case) by "***", in text a database tool printed: a client quoting
// the statement it refused (`CREATE USER ... IDENTIFIED BY '<secret>'`, psql's `LINE 1: ALTER
// ROLE ... PASSWORD '<secret>'`) must not carry the secret into an error message or log.
//   "IDENTIFIED BY 's3cr''et'" -> "IDENTIFIED BY '***'"
// A quote that never closes (a cut-off tail) hides the rest of that line.
std::string RedactSqlSecrets(std::string_view text);

}  // namespace hasteward::core
