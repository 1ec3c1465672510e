#include "core/redact.h"

#include <algorithm>

namespace hasteward::core {

namespace {

// Where the authority ("user:password@host:port") that starts at `from` ends: at the path, query
// or fragment, or at a character that cannot be part of a URL in running text (space, quotes).
size_t AuthorityEnd(std::string_view text, size_t from) {
  size_t end = text.find_first_of("/?#\"'\\ \t\r\n<>", from);
  return end == std::string_view::npos ? text.size() : end;
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Whether `word` (upper case) starts at `at`, case-insensitively, as a whole word.
bool WordAt(std::string_view text, size_t at, std::string_view word) {
  if (at + word.size() > text.size() || (at > 0 && IsWordChar(text[at - 1])))
    return false;
  for (size_t n = 0; n < word.size(); ++n) {
    char c = text[at + n];
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
    if (c != word[n])
      return false;
  }
  const size_t after = at + word.size();
  return after == text.size() || !IsWordChar(text[after]);
}

size_t SkipBlanks(std::string_view text, size_t at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t'))
    ++at;
  return at;
}

// The end of the keyword that introduces a secret at `at` (IDENTIFIED BY, PASSWORD, USING), or 0.
size_t SecretKeywordEnd(std::string_view text, size_t at) {
  if (WordAt(text, at, "IDENTIFIED")) {
    size_t by = SkipBlanks(text, at + 10);
    return WordAt(text, by, "BY") ? by + 2 : 0;
  }
  if (WordAt(text, at, "PASSWORD"))
    return at + 8;
  if (WordAt(text, at, "USING"))
    return at + 5;
  return 0;
}

struct QuotedSpan {
  size_t end;   // one past the closing quote, or where a cut-off string stops
  bool closed;  // false: the line or the text ended first
};

// The quoted string that starts at `open`; a doubled quote or a backslash escape stays inside.
QuotedSpan QuotedEnd(std::string_view text, size_t open) {
  const char quote = text[open];
  for (size_t at = open + 1; at < text.size(); ++at) {
    if (text[at] == '\\') {
      ++at;
    } else if (text[at] == '\n') {
      return {at, false};
    } else if (text[at] == quote) {
      if (at + 1 < text.size() && text[at + 1] == quote) {
        ++at;
      } else {
        return {at + 1, true};
      }
    }
  }
  return {text.size(), false};
}

}  // namespace

std::string RedactSqlSecrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
  for (size_t at = 0; at < text.size(); ++at) {
    size_t keyword_end = SecretKeywordEnd(text, at);
    if (keyword_end == 0)
      continue;
    // IDENTIFIED BY PASSWORD '<hash>', PASSWORD('<x>'), PASSWORD = '<x>'.
    size_t value = SkipBlanks(text, keyword_end);
    if (WordAt(text, value, "PASSWORD"))
      value = SkipBlanks(text, value + 8);
    if (value < text.size() && (text[value] == '(' || text[value] == '='))
      value = SkipBlanks(text, value + 1);
    if (value >= text.size() || (text[value] != '\'' && text[value] != '"'))
      continue;
    QuotedSpan span = QuotedEnd(text, value);
    out.append(text.substr(copied, value + 1 - copied));
    out.append(kRedactedPassword);
    if (span.closed)
      out.push_back(text[value]);
    copied = std::min(span.end, text.size());
    at = copied - 1;  // the loop's ++at continues right after the string
  }
  out.append(text.substr(copied));
  return out;
}

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
