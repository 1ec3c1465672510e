#pragma once

#include <string>

#include "core/status.h"
#include "storage/http/http_client.h"

namespace hasteward::storage::http {

// Turns a non-2xx response into a status: 404 → kNotFound; 408, 429, 5xx and the S3 error codes
// SlowDown / RequestTimeout / BadDigest / InternalError → retryable kStorage (with the server's
// Retry-After, see RetryAfterSuffix); 401/403/507 and every other status → permanent kStorage.
// `what` names the request ("GET 'data/ab12…'"); `code` is the server's error code if parsed.
core::Status StatusFromResponse(const std::string& what, const HttpResponse& resp,
                                const std::string& code = "");

inline bool IsSuccess(const HttpResponse& resp) {
  return resp.status >= 200 && resp.status < 300;
}

}  // namespace hasteward::storage::http
