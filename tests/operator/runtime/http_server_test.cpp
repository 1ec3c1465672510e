#include "operator/runtime/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hasteward::op {
namespace {

// Sends `request` to 127.0.0.1:port and returns everything the server wrote.
std::string Exchange(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;)
    out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

std::unique_ptr<HttpServer> Start() {
  auto s = HttpServer::Start("127.0.0.1:0", [](const std::string& path) {
    if (path == "/metrics")
      return HttpResponse{200, "text/plain", "up 1\n"};
    return HttpResponse{404, "text/plain", "not found\n"};
  });
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

TEST(HttpServerTest, ServesGetWithLengthAndClose) {
  auto s = Start();
  std::string r = Exchange(s->port(), "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 5), "up 1\n");
}

TEST(HttpServerTest, HeadHasNoBodyAndUnknownPathsAre404) {
  auto s = Start();
  std::string head = Exchange(s->port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_EQ(Exchange(s->port(), "GET /nope HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
}

TEST(HttpServerTest, RejectsOtherMethodsAndGarbage) {
  auto s = Start();
  EXPECT_EQ(Exchange(s->port(), "POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_EQ(Exchange(s->port(), "garbage\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
}

TEST(HttpServerTest, BadAddressIsUsageAndBusyPortIsUnreachable) {
  EXPECT_EQ(HttpServer::Start("nonsense", {}).status().code(), core::ErrorCode::kUsage);
  auto s = Start();
  auto again = HttpServer::Start("127.0.0.1:" + std::to_string(s->port()), {});
  EXPECT_EQ(again.status().code(), core::ErrorCode::kUnreachable);
}

}  // namespace
}  // namespace hasteward::op
