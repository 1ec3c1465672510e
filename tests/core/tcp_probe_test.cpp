#include "core/tcp_probe.h"

#include <chrono>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/fd.h"

namespace hasteward::core {
namespace {

// A listening loopback socket on a kernel-chosen port; closing it frees the port.
struct Listener {
  UniqueFd fd;
  int port = 0;
};

Listener Listen() {
  Listener l;
  l.fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::listen(l.fd.get(), 4), 0);
  EXPECT_EQ(::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  l.port = ntohs(addr.sin_port);
  return l;
}

TEST(TcpProbeTest, AcceptsWhileListeningAndNotAfterClose) {
  Listener l = Listen();
  EXPECT_TRUE(TcpAccepts("127.0.0.1", l.port));
  EXPECT_TRUE(TcpAccepts("localhost", l.port));
  int port = l.port;
  l.fd.Reset();
  EXPECT_FALSE(TcpAccepts("127.0.0.1", port));
}

TEST(TcpProbeTest, AnUnparsableHostIsNotReachable) {
  EXPECT_FALSE(TcpAccepts("not-an-address", 5432));
}

TEST(TcpProbeTest, WaitForTcpIsOkAtOnceWhenListening) {
  Listener l = Listen();
  EXPECT_TRUE(WaitForTcp("127.0.0.1", l.port, std::chrono::seconds(5), "test server").ok());
}

TEST(TcpProbeTest, WaitForTcpTimesOutNamingWhatAndWhere) {
  Listener l = Listen();
  int port = l.port;
  l.fd.Reset();
  auto st = WaitForTcp("127.0.0.1", port, std::chrono::milliseconds(200), "instance 'pg-0'");
  EXPECT_EQ(st.code(), ErrorCode::kTimeout);
  EXPECT_NE(st.message().find("instance 'pg-0'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

}  // namespace
}  // namespace hasteward::core
