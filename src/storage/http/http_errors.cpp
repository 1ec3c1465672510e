#include "storage/http/http_errors.h"

namespace hasteward::storage::http {

core::Status StatusFromResponse(const std::string& what, const HttpResponse& resp,
                                const std::string& code) {
  std::string msg =
      what + ": HTTP " + std::to_string(resp.status) + (code.empty() ? "" : " " + code);
  if (resp.status == 404)
    return core::NotFound(msg);
  bool retryable = resp.status == 408 || resp.status == 429 || resp.status >= 500;
  if (code == "SlowDown" || code == "RequestTimeout" || code == "BadDigest" ||
      code == "InternalError") {
    retryable = true;
  }
  if (resp.status == 507 || resp.status == 501)
    retryable = false;
  if (retryable) {
    auto delay = ParseRetryAfter(resp.Header("retry-after"));
    if (delay.count() > 0)
      msg += RetryAfterSuffix(delay);
    return core::StorageError(msg, true);
  }
  core::Status st = core::StorageError(msg, false);
  if (resp.status == 401 || resp.status == 403) {
    st.WithHint("check the credentials and that they may access this repository");
  } else if (resp.status == 507) {
    st.WithHint("the server is out of space; free space or raise the quota, then retry");
  }
  return st;
}

}  // namespace hasteward::storage::http
