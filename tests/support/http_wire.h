// Minimal HTTP/1.1 wire helpers for the test servers of ours (REST server, fault proxy): a
// buffered connection, message-head parsing and a loopback accept loop with a thread per
// connection. Real sockets, real framing (Content-Length and chunked).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/fd.h"
#include "core/status.h"

namespace hasteward::testing {

// Whether `a` and `b` are equal but for ASCII case (HTTP header names and tokens).
bool IEquals(std::string_view a, std::string_view b);

struct HttpHead {
  std::string method, target;  // requests
  int status = 0;              // responses
  std::vector<std::pair<std::string, std::string>> headers;
  // The first value of a header (case-insensitive name), or "".
  std::string Get(std::string_view name) const;
};

// Parses "GET /x HTTP/1.1\r\nA: b\r\n\r\n" (or a status line). False when malformed.
bool ParseHead(const std::string& raw, HttpHead* head);

// A socket with a read buffer. Every call returns false on EOF or error. Not thread-safe.
class HttpConn {
 public:
  explicit HttpConn(core::UniqueFd fd) : fd_(std::move(fd)) {}
  int fd() const { return fd_.get(); }
  // Reads through the blank line that ends a message head (at most 64 KiB).
  bool ReadHead(std::string* raw);
  // Appends exactly n bytes.
  bool ReadExact(size_t n, std::string* out);
  // Appends a chunked body exactly as sent (sizes, data, trailer).
  bool ReadChunkedRaw(std::string* out);
  // Appends the body of a message with this head (requests: is_response=false).
  bool ReadBody(const HttpHead& head, bool is_response, bool head_request, std::string* out);
  bool Write(std::string_view data);
  // Closes with a TCP reset (SO_LINGER 0) so the peer sees ECONNRESET.
  void Reset();
  void Close() { fd_.Reset(); }

 private:
  bool Fill();
  core::UniqueFd fd_;
  std::string buf_;
};

// Connects to 127.0.0.1:port.
core::Result<core::UniqueFd> ConnectLoopback(int port);

// Accepts connections on 127.0.0.1:<free port> and runs `serve` for each on its own thread.
// Destruction stops accepting, shuts down every open connection and joins all threads.
class LoopbackServer {
 public:
  using ServeFn = std::function<void(HttpConn&)>;
  static core::Result<std::unique_ptr<LoopbackServer>> Start(ServeFn serve);
  ~LoopbackServer();
  int port() const { return port_; }

 private:
  LoopbackServer() = default;
  void AcceptLoop();

  ServeFn serve_;
  core::UniqueFd listen_fd_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::set<int> open_fds_;
  std::vector<std::thread> workers_;
};

}  // namespace hasteward::testing
