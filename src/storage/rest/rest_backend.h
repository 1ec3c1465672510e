#pragma once

#include <memory>
#include <string>

#include "storage/backend.h"
#include "storage/http/http_client.h"

namespace hasteward::storage::rest {

struct RestConfig {
  std::string url;  // base URL ending in '/', may carry user:password@ for HTTP basic auth
  http::HttpOptions http;
  int connections = 5;
};

// Parses "rest:http(s)://[user:pass@]host[:port][/path]" (the base URL gets a trailing '/').
// HASTEWARD_REST_CA_FILE names a PEM bundle to trust. Malformed → usage error.
core::Result<RestConfig> ParseRestLocation(const std::string& location);

// A repository served by restic's rest-server, protocol v2 (shared/docs/restic-format.md 10.1):
// flat URLs {base}{type}/{id}, POST to save (the server checks sha256(body) == id), v2 JSON
// listings with sizes, Range GETs. Thread-safe; no retries here (see retry/retry_backend.h).
class RestBackend : public Backend {
 public:
  explicit RestBackend(RestConfig config);

  // The location with any password replaced by "***".
  std::string Location() const override;
  // POST {base}?create=true (idempotent on rest-server).
  core::Status Create() override;
  // POST; a 403 for an object that already exists with the same content counts as success,
  // so a retried upload whose first response was lost does not fail.
  core::Status Save(const Handle& h, core::ByteView data) override;
  core::Status Load(const Handle& h, uint64_t offset, uint64_t length, core::Bytes* out) override;
  core::Result<FileInfo> Stat(const Handle& h) override;
  // A 404 listing is an empty type (as restic treats it); any other failure is an error.
  core::Status List(FileType t, const std::function<core::Status(const FileInfo&)>& fn) override;
  core::Status Remove(const Handle& h) override;
  int Connections() const override { return config_.connections; }
  // rest-server stores each object as a file before answering the request.
  bool ListSeesCompletedWrites() const override { return true; }

  // "{base}data/<id>" (flat, as the protocol wants).
  std::string UrlOf(const Handle& h) const;

 private:
  core::Result<http::HttpResponse> Send(const std::string& method, const std::string& url,
                                        core::ByteView body = {}, const std::string& range = "");
  core::Status ErrorOf(const std::string& what, const http::HttpResponse& resp) const;
  core::Status SaveOverExisting(const Handle& h, core::ByteView data,
                                const http::HttpResponse& resp);

  RestConfig config_;
  http::HttpClient client_;
};

}  // namespace hasteward::storage::rest
