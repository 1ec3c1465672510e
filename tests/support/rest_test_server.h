// A real HTTP server of ours speaking restic's rest-server protocol v2 (shared/docs/
// restic-format.md 10.1), because Debian ships no rest-server. It stores files on disk in
// restic's local layout (data/<xx>/<id>), refuses a POST whose sha256(body) != id (400) or whose
// object exists (403), writes atomically (temp file + rename) and serves Range requests; it can
// act as `rest-server --append-only` (SetAppendOnly).
// Stock restic 0.14 drives it in tests/storage/rest_backend_test.cpp.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/status.h"
#include "support/http_wire.h"

namespace hasteward::testing {

class RestTestServer {
 public:
  // Serves repositories under `root` (URL path "/a/b/" ↔ directory root/a/b) on 127.0.0.1.
  static core::Result<std::unique_ptr<RestTestServer>> Start(const std::string& root);
  int port() const { return server_->port(); }
  // "rest:http://127.0.0.1:PORT/<path>" (path without leading '/').
  std::string Location(const std::string& path = "") const;
  uint64_t requests() const { return requests_; }
  // While on, every request is answered 503 (the repository is down; the port stays the same, so
  // the commands a server was given work again once it is off).
  void SetOutage(bool on) { outage_ = on; }
  // While on, the server acts as restic's rest-server started with --append-only: every DELETE
  // outside locks/ is answered 403 before the file is looked for (rest-server's deleteBlob).
  void SetAppendOnly(bool on) { append_only_ = on; }

 private:
  struct Response {
    int status = 200;
    std::string content_type;
    std::string body;
    uint64_t content_length = 0;  // for HEAD
  };
  explicit RestTestServer(std::string root) : root_(std::move(root)) {}
  void Serve(HttpConn& conn);
  Response Handle(const HttpHead& head, const std::string& body);
  Response Create(const std::string& repo);
  Response List(const std::string& dir, const std::string& type, bool v2);
  Response Get(const std::string& file, const HttpHead& head, bool head_only);
  Response Post(const std::string& file, const std::string& id, const std::string& body);

  std::string root_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<bool> outage_{false};
  std::atomic<bool> append_only_{false};
  std::unique_ptr<LoopbackServer> server_;
};

}  // namespace hasteward::testing
