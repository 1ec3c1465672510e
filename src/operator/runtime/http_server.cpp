#include "operator/runtime/http_server.h"

#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"

namespace hasteward::op {

namespace {

constexpr size_t kMaxRequest = 8192;
constexpr int kReadTimeoutMs = 5000;
constexpr int kAcceptPollMs = 200;

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// Reads until the end of the request head; "" on timeout, error or oversize.
std::string ReadHead(int conn) {
  std::string buf;
  char chunk[1024];
  while (buf.find("\r\n\r\n") == std::string::npos && buf.size() < kMaxRequest) {
    pollfd p{conn, POLLIN, 0};
    if (::poll(&p, 1, kReadTimeoutMs) <= 0)
      return "";
    ssize_t n = ::recv(conn, chunk, sizeof(chunk), 0);
    if (n <= 0)
      return "";
    buf.append(chunk, static_cast<size_t>(n));
  }
  return buf.find("\r\n\r\n") == std::string::npos ? "" : buf;
}

void Send(int conn, const HttpResponse& r, bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) +
                    "\r\nContent-Type: " + r.content_type +
                    "\r\nContent-Length: " + std::to_string(r.body.size()) +
                    "\r\nConnection: close\r\n\r\n";
  if (!head_only)
    out += r.body;
  core::WriteAll(conn, core::AsBytes(out)).ok();  // a client that went away is not our problem
}

}  // namespace

core::Status ParseListenAddr(const std::string& addr, std::string* host, int* port) {
  auto colon = addr.rfind(':');
  std::string p = colon == std::string::npos ? "" : addr.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(p) > 65535) {
    return core::Usage("listen address '" + addr + "' is not host:port",
                       "e.g. :8080 or 127.0.0.1:9090");
  }
  *host = addr.substr(0, colon);
  *port = std::stoi(p);
  return core::Status::Ok();
}

core::Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& addr,
                                                            HttpHandler handler) {
  std::string host;
  int port = 0;
  HS_TRY(ParseListenAddr(addr, &host, &port));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  if (!host.empty() && host != "0.0.0.0" && ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    return core::Usage("listen host '" + host + "' is not an IPv4 address");
  }
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return core::ErrnoStatus("socket", errno);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      ::listen(fd.get(), 16) != 0) {
    return core::Status(core::ErrorCode::kUnreachable,
                        "cannot listen on '" + addr + "': " + std::strerror(errno),
                        "pick a free port with --metrics-addr / --health-addr");
  }
  socklen_t len = sizeof(sa);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  std::unique_ptr<HttpServer> s(
      new HttpServer(std::move(fd), ntohs(sa.sin_port), std::move(handler)));
  s->thread_ = std::thread([p = s.get()] { p->Loop(); });
  return s;
}

HttpServer::~HttpServer() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

void HttpServer::Loop() {
  while (!stop_) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, kAcceptPollMs) <= 0)
      continue;
    core::UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.valid())
      Serve(conn.get());
  }
}

void HttpServer::Serve(int conn) {
  std::string head = ReadHead(conn);
  auto sp1 = head.find(' ');
  auto sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) {
    Send(conn, {400, "text/plain; charset=utf-8", "bad request\n"}, false);
    return;
  }
  std::string method = head.substr(0, sp1);
  std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  if (method != "GET" && method != "HEAD") {
    Send(conn, {405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, false);
    return;
  }
  Send(conn, handler_(path), method == "HEAD");
}

}  // namespace hasteward::op
