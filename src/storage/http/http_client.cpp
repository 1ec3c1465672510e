#include "storage/http/http_client.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <curl/curl.h>

#include "core/redact.h"

namespace hasteward::storage::http {
namespace {

std::once_flag g_curl_init;

struct Upload {
  core::ByteView data;
  size_t pos = 0;
};

size_t ReadBody(char* buf, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t len = std::min(size * n, up->data.size() - up->pos);
  std::memcpy(buf, up->data.data() + up->pos, len);
  up->pos += len;
  return len;
}

size_t WriteBody(char* buf, size_t size, size_t n, void* user) {
  auto* out = static_cast<core::Bytes*>(user);
  out->insert(out->end(), buf, buf + size * n);
  return size * n;
}

size_t WriteHeader(char* buf, size_t size, size_t n, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string line(buf, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    resp->headers.clear();  // a new response (after 100-continue or a redirect)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos)
    return size * n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::string value = line.substr(colon + 1);
  auto b = value.find_first_not_of(" \t");
  auto e = value.find_last_not_of(" \t\r\n");
  resp->headers[name] = b == std::string::npos ? "" : value.substr(b, e - b + 1);
  return size * n;
}

bool Permanent(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_COULDNT_RESOLVE_HOST: return true;
    default: return false;
  }
}

void ConfigureMethod(CURL* c, const HttpRequest& req, Upload* up) {
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "PUT" || req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    if (req.method == "POST")
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "POST");
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
}

}  // namespace

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpClient::~HttpClient() {
  for (void* h : idle_)
    curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::Release(void* handle) {
  std::lock_guard lock(mu_);
  idle_.push_back(handle);
}

core::Result<HttpResponse> HttpClient::Do(const HttpRequest& req) {
  CURL* c = static_cast<CURL*>(Acquire());
  if (c == nullptr)
    return core::Internal("curl_easy_init failed");
  curl_easy_reset(c);
  HttpResponse resp;
  Upload up{req.body, 0};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");  // no 100-continue round trip
  for (const auto& [k, v] : req.headers)
    headers = curl_slist_append(headers, std::string(k).append(": ").append(v).c_str());
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(options_.stall_timeout.count() / 1000)));
  if (options_.request_timeout.count() > 0) {
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  }
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  ConfigureMethod(c, req, &up);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(c);  // a failed connection is not reused
    std::string detail = errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc);
    return core::StorageError(
        req.method + " '" + core::RedactUrlCredentials(req.url) + "': " + detail, !Permanent(rc));
  }
  Release(c);
  resp.status = static_cast<int>(status);
  return resp;
}

std::chrono::milliseconds ParseRetryAfter(const std::string& value) {
  if (value.empty() || !std::all_of(value.begin(), value.end(), ::isdigit) || value.size() > 6) {
    return std::chrono::milliseconds(0);
  }
  return std::chrono::seconds(std::stol(value));
}

std::string RetryAfterSuffix(std::chrono::milliseconds delay) {
  return " (retry after " + std::to_string(delay.count()) + "ms)";
}

std::chrono::milliseconds RetryAfterOf(const core::Status& status) {
  static const std::string kMark = "(retry after ";
  const std::string& m = status.message();
  auto pos = m.rfind(kMark);
  if (pos == std::string::npos)
    return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(std::strtoll(m.c_str() + pos + kMark.size(), nullptr, 10));
}

}  // namespace hasteward::storage::http
