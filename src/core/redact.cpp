#include "core/redact.h"

namespace hasteward::core {

namespace {

// Where the authority ("user:password@host:port") that starts at `from` ends: at the path, query
// or fragment, or at a character that cannot be part of a URL in running text (space, quotes).
size_t AuthorityEnd(std::string_view text, size_t from) {
  size_t end = text.find_first_of("/?#\"'\\ \t\r\n<>", from);
  return end == std::string_view::npos ? text.size() : end;
}

}  // namespace

std::string RedactUrlCredentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
  for (size_t scheme = text.find("://"); scheme != std::string_view::npos;
       scheme = text.find("://", scheme + 3)) {
    size_t start = scheme + 3;
    size_t end = AuthorityEnd(text, start);
    std::string_view authority = text.substr(start, end - start);
    // The last '@' ends the user info: an unencoded '@' in a password must not leak its tail.
    size_t at = authority.rfind('@');
    if (at == std::string_view::npos)
      continue;
    size_t colon = authority.find(':');
    if (colon == std::string_view::npos || colon > at)
      continue;  // a user name alone is not a secret (restic keeps it too)
    out.append(text.substr(copied, start + colon + 1 - copied));
    out.append(kRedactedPassword);
    copied = start + at;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace hasteward::core
