// AWS Signature Version 4 (header-based), written from AWS's published specification and tested
// against its test-suite vectors (tests/storage/sigv4_test.cpp). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/byte_stream.h"

namespace hasteward::storage::s3 {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct SigV4Request {
  std::string method;         // "GET"
  std::string canonical_uri;  // the path exactly as sent, already URI-encoded ("/bucket/a%20b")
  KeyValues query;            // unencoded query parameters, any order
  KeyValues headers;          // every header to sign (must include host and x-amz-date)
  std::string payload_hash;   // lowercase hex SHA-256 of the body (or "UNSIGNED-PAYLOAD")
};

struct SigV4Scope {
  std::string access_key;
  std::string secret_key;
  std::string region;    // "us-east-1"
  std::string service;   // "s3"
  std::string amz_date;  // "20150830T123600Z"; the scope date is its first 8 characters
};

// RFC 3986 percent-encoding of everything but unreserved characters; '/' kept when !encode_slash.
std::string UriEncode(std::string_view s, bool encode_slash);

// "a=1&b=2": names and values encoded, sorted by encoded name then value.
std::string CanonicalQuery(const KeyValues& query);

// The canonical request (spec step 1); `signed_headers` receives "host;x-amz-date".
std::string CanonicalRequest(const SigV4Request& req, std::string* signed_headers);

// "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256(canonical request)>".
std::string StringToSign(const SigV4Scope& scope, const std::string& canonical_request);

// Lowercase hex HMAC signature of `string_to_sign` with the derived signing key.
std::string Signature(const SigV4Scope& scope, const std::string& string_to_sign);

// The complete Authorization header value for the request.
std::string Authorization(const SigV4Scope& scope, const SigV4Request& req);

// Lowercase hex SHA-256 and raw MD5 helpers.
std::string Sha256Hex(core::ByteView data);
core::Bytes Md5(core::ByteView data);

// "20150830T123600Z" for a Unix time in seconds (UTC).
std::string AmzDate(long long unix_seconds);

}  // namespace hasteward::storage::s3
