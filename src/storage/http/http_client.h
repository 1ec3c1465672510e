// A small thread-safe HTTP/1.1 client over libcurl for the network backends (S3, REST). It moves
// whole bodies in memory (objects are packs of a few MiB), reuses connections through a pool of
// curl handles and turns transport failures into storage errors with retryable() set.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::storage::http {

struct HttpOptions {
  bool verify_tls = true;  // certificate and host name verification (on by default)
  std::string ca_file;     // PEM bundle to trust instead of the system store ("" = system)
  std::chrono::milliseconds connect_timeout{10000};
  // A transfer slower than 1 byte/s for this long is aborted (a stalled server), whatever its size.
  std::chrono::milliseconds stall_timeout{30000};
  // Upper bound for a whole request (0 = none); bounded per-request time even for slow servers.
  std::chrono::milliseconds request_timeout{0};
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  core::ByteView body;  // sent with an explicit Content-Length; must outlive Do()
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; last value wins
  core::Bytes body;

  // The header's value or "" when absent (`name` lowercase).
  std::string Header(const std::string& name) const;
};

// Thread-safe: each Do() borrows a curl handle from the pool (connections are kept alive).
class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and reads the whole response. Any HTTP status is a successful result;
  // transport failures (refused, reset, timeout, truncated body) are kStorage errors, retryable
  // unless the failure is permanent (TLS verification, malformed URL).
  core::Result<HttpResponse> Do(const HttpRequest& request);

 private:
  void* Acquire();
  void Release(void* handle);

  HttpOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;
};

// Parses a Retry-After value in seconds ("3") into milliseconds; 0 when absent or a date.
std::chrono::milliseconds ParseRetryAfter(const std::string& value);

// Marks an HTTP error status's message with the server's Retry-After ("... (retry after 3000ms)")
// so the retry decorator can honour it without the driver knowing about retries.
std::string RetryAfterSuffix(std::chrono::milliseconds delay);

// The delay a status message asks for through RetryAfterSuffix, or 0.
std::chrono::milliseconds RetryAfterOf(const core::Status& status);

}  // namespace hasteward::storage::http
