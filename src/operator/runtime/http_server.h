// operator/runtime/http_server: a minimal HTTP/1.1 server on POSIX sockets for /metrics, /healthz
// and /readyz. GET and HEAD only, one request per connection (Connection: close), requests up to 8
// KiB, a 5 s read timeout; one accept thread that serves connections in turn (scrapes are small and
// rare). RAII: the destructor stops the thread and closes the socket.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/fd.h"
#include "core/status.h"

namespace hasteward::op {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const std::string& path)>;

class HttpServer {
 public:
  // Binds "host:port" (":8080" = all interfaces; port 0 = any free port) and starts serving.
  // kUsage for a malformed address; kStorage-free: bind failures are kUnreachable naming it.
  static core::Result<std::unique_ptr<HttpServer>> Start(const std::string& addr,
                                                         HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }

 private:
  HttpServer(core::UniqueFd fd, int port, HttpHandler handler)
      : fd_(std::move(fd)), port_(port), handler_(std::move(handler)) {}
  void Loop();
  void Serve(int conn);

  core::UniqueFd fd_;
  int port_;
  HttpHandler handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Splits "host:port"; "" host means all interfaces. kUsage when malformed.
core::Status ParseListenAddr(const std::string& addr, std::string* host, int* port);

}  // namespace hasteward::op
