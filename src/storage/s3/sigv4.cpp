#include "storage/s3/sigv4.h"

#include <algorithm>
#include <ctime>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/hex.h"

namespace hasteward::storage::s3 {
namespace {

core::Bytes Hmac(core::ByteView key, std::string_view msg) {
  core::Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out.data(), &len);
  out.resize(len);
  return out;
}

core::Bytes Digest(const EVP_MD* md, core::ByteView data) {
  core::Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr);
  out.resize(len);
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Trims and collapses runs of spaces to one, as the canonical header form requires.
std::string TrimAll(const std::string& v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space)
      out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string CanonicalQuery(const KeyValues& query) {
  KeyValues enc;
  for (const auto& [k, v] : query)
    enc.emplace_back(UriEncode(k, true), UriEncode(v, true));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty())
      out.push_back('&');
    out.append(k).append("=").append(v);
  }
  return out;
}

std::string CanonicalRequest(const SigV4Request& req, std::string* signed_headers) {
  KeyValues hs;
  for (const auto& [k, v] : req.headers)
    hs.emplace_back(Lower(k), TrimAll(v));
  std::stable_sort(hs.begin(), hs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canon_headers;
  std::string names;
  for (size_t i = 0; i < hs.size(); ++i) {
    if (i > 0 && hs[i].first == hs[i - 1].first) {  // repeated header: values joined by commas
      canon_headers.pop_back();
      canon_headers += "," + hs[i].second + "\n";
      continue;
    }
    canon_headers += hs[i].first + ":" + hs[i].second + "\n";
    names += (names.empty() ? "" : ";") + hs[i].first;
  }
  if (signed_headers != nullptr)
    *signed_headers = names;
  return req.method + "\n" + req.canonical_uri + "\n" + CanonicalQuery(req.query) + "\n" +
         canon_headers + "\n" + names + "\n" + req.payload_hash;
}

std::string StringToSign(const SigV4Scope& scope, const std::string& canonical_request) {
  return "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + scope.amz_date.substr(0, 8) + "/" +
         scope.region + "/" + scope.service + "/aws4_request\n" +
         Sha256Hex(core::AsBytes(canonical_request));
}

std::string Signature(const SigV4Scope& scope, const std::string& string_to_sign) {
  core::Bytes k = Hmac(core::AsBytes("AWS4" + scope.secret_key), scope.amz_date.substr(0, 8));
  k = Hmac(k, scope.region);
  k = Hmac(k, scope.service);
  k = Hmac(k, "aws4_request");
  return core::HexEncode(Hmac(k, string_to_sign));
}

std::string Authorization(const SigV4Scope& scope, const SigV4Request& req) {
  std::string names;
  std::string canon = CanonicalRequest(req, &names);
  return "AWS4-HMAC-SHA256 Credential=" + scope.access_key + "/" + scope.amz_date.substr(0, 8) +
         "/" + scope.region + "/" + scope.service + "/aws4_request, SignedHeaders=" + names +
         ", Signature=" + Signature(scope, StringToSign(scope, canon));
}

std::string Sha256Hex(core::ByteView data) {
  return core::HexEncode(Digest(EVP_sha256(), data));
}

core::Bytes Md5(core::ByteView data) {
  return Digest(EVP_md5(), data);
}

std::string AmzDate(long long unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace hasteward::storage::s3
