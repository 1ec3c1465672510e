#include "support/http_wire.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hasteward::testing {
bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string HttpHead::Get(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name))
      return v;
  }
  return "";
}

bool ParseHead(const std::string& raw, HttpHead* head) {
  std::istringstream in(raw);
  std::string line;
  if (!std::getline(in, line))
    return false;
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  std::istringstream start(line);
  std::string a, b;
  start >> a >> b;
  if (a.rfind("HTTP/", 0) == 0) {
    head->status = std::atoi(b.c_str());
  } else {
    head->method = a;
    head->target = b;
  }
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty())
      break;
    auto colon = line.find(':');
    if (colon == std::string::npos)
      return false;
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    head->headers.emplace_back(line.substr(0, colon), v);
  }
  return !a.empty() && !b.empty();
}

bool HttpConn::Fill() {
  char tmp[65536];
  for (;;) {
    ssize_t n = ::recv(fd_.get(), tmp, sizeof(tmp), 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return false;
  }
}

bool HttpConn::ReadHead(std::string* raw) {
  for (;;) {
    auto end = buf_.find("\r\n\r\n");
    if (end != std::string::npos) {
      *raw = buf_.substr(0, end + 4);
      buf_.erase(0, end + 4);
      return true;
    }
    if (buf_.size() > 65536 || !Fill())
      return false;
  }
}

bool HttpConn::ReadExact(size_t n, std::string* out) {
  while (buf_.size() < n) {
    if (!Fill())
      return false;
  }
  out->append(buf_, 0, n);
  buf_.erase(0, n);
  return true;
}

bool HttpConn::ReadChunkedRaw(std::string* out) {
  for (;;) {
    std::string line;
    size_t eol;
    while ((eol = buf_.find("\r\n")) == std::string::npos) {
      if (!Fill())
        return false;
    }
    line = buf_.substr(0, eol + 2);
    buf_.erase(0, eol + 2);
    out->append(line);
    size_t size = std::strtoul(line.c_str(), nullptr, 16);
    if (size == 0) {  // trailer lines until an empty one
      for (;;) {
        while ((eol = buf_.find("\r\n")) == std::string::npos) {
          if (!Fill())
            return false;
        }
        out->append(buf_, 0, eol + 2);
        buf_.erase(0, eol + 2);
        if (eol == 0)
          return true;
      }
    }
    if (!ReadExact(size + 2, out))
      return false;
  }
}

bool HttpConn::ReadBody(const HttpHead& head, bool is_response, bool head_request,
                        std::string* out) {
  if (is_response &&
      (head_request || head.status == 204 || head.status == 304 || head.status < 200))
    return true;
  if (IEquals(head.Get("transfer-encoding"), "chunked"))
    return ReadChunkedRaw(out);
  std::string len = head.Get("content-length");
  if (!len.empty())
    return ReadExact(std::stoull(len), out);
  if (!is_response)
    return true;
  while (Fill()) {
  }
  out->append(buf_);
  buf_.clear();
  return true;
}

bool HttpConn::Write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);  // no SIGPIPE
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void HttpConn::Reset() {
  linger l{1, 0};
  setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  fd_.Reset();
}

core::Result<core::UniqueFd> ConnectLoopback(int port) {
  core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return core::ErrnoStatus("connect 127.0.0.1:" + std::to_string(port), errno);
  }
  int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

core::Result<std::unique_ptr<LoopbackServer>> LoopbackServer::Start(ServeFn serve) {
  std::unique_ptr<LoopbackServer> s(new LoopbackServer());
  s->serve_ = std::move(serve);
  s->listen_fd_.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(s->listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(s->listen_fd_.get(), 128) != 0) {
    return core::ErrnoStatus("listen on 127.0.0.1", errno);
  }
  socklen_t len = sizeof(addr);
  getsockname(s->listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  s->port_ = ntohs(addr.sin_port);
  s->acceptor_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  return s;
}

void LoopbackServer::AcceptLoop() {
  for (;;) {
    int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (stopping_) {
      if (fd >= 0)
        ::close(fd);
      return;
    }
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::lock_guard lock(mu_);
    open_fds_.insert(fd);
    workers_.emplace_back([this, fd] {
      HttpConn conn{core::UniqueFd(fd)};
      serve_(conn);
      std::lock_guard l(mu_);
      open_fds_.erase(fd);  // conn closes fd after this scope; erased first so no one shuts it
    });
  }
}

LoopbackServer::~LoopbackServer() {
  stopping_ = true;
  ::shutdown(listen_fd_.get(), SHUT_RDWR);
  if (acceptor_.joinable())
    acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_)
      ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers)
    t.join();
}

}  // namespace hasteward::testing
