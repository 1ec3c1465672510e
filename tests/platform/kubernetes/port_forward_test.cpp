#include "platform/kubernetes/port_forward.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/fd.h"
#include "platform/kubernetes/port_forwarder.h"
#include "support/http_wire.h"
#include "support/real_kube_admin_test.h"
#include "support/tcp_echo_server.h"

namespace hasteward::platform::kubernetes {
namespace {

std::string ForwardTestPattern(size_t size, char seed) {
  std::string text(size, seed);
  for (size_t index = 0; index < size; index += 977) {
    text[index] = static_cast<char>('a' + (index / 977 + seed) % 26);
  }
  return text;
}

// Through a real kube-apiserver (issue 50) to a pod of the test node (RealKubeNode): the server
// authenticates and authorizes the upgrade and passes our v4.channel.k8s.io WebSocket on to the
// node unchanged (only SPDY-in-WebSocket, portforward.k8s.io, is unwrapped there), so what the
// node's agent sends is what our client reads; the agent dials the pod's ports on 127.0.0.1.
class PortForwardTest : public testing::RealKubeAdminTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartApi({"db"}));
    ASSERT_NO_FATAL_FAILURE(StartNode());
    auto pod = node_->AddPod("db", "db-0", {"db"});
    ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  }
  int PortForwardsServed() { return node_->agent().PortForwardsForTest(); }
};

TEST_F(PortForwardTest, SessionCarriesBytesBothWays) {
  testing::TcpEchoServer echo;
  auto session = PortForwardSession::Open(*client_, {"db", "db-0", echo.port()});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  const std::string text = ForwardTestPattern(3 << 20, 'p');  // several frames each way
  std::thread sender([&] { EXPECT_TRUE((*session)->Send(core::AsBytes(text)).ok()); });
  std::string back;
  core::Bytes buffer(65536);
  while (back.size() < text.size()) {
    auto got = (*session)->Receive(buffer);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_GT(*got, 0U) << "the session ended early";
    back.append(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(*got));
  }
  sender.join();
  EXPECT_EQ(back, text);
  EXPECT_EQ(PortForwardsServed(), 1);
}

TEST_F(PortForwardTest, ErrorChannelMessageBecomesTheError) {
  int closed_port = 0;
  core::UniqueFd not_listening = testing::RefusingTcpPort(&closed_port);
  auto session = PortForwardSession::Open(*client_, {"db", "db-0", closed_port});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  core::Bytes buffer(64);
  auto got = (*session)->Receive(buffer);
  ASSERT_FALSE(got.ok()) << "a refused dial must not look like an empty stream";
  EXPECT_EQ(got.status().code(), core::ErrorCode::kUnreachable);
  EXPECT_NE(got.status().message().find("error forwarding port " + std::to_string(closed_port)),
            std::string::npos)
      << got.status().message();
  EXPECT_FALSE(got.status().hint().empty());
}

TEST_F(PortForwardTest, AnswerForAnotherPortIsAnError) {
  testing::TcpEchoServer echo;
  node_->agent().SetFaultForTest(testing::KubeletFault::kPortForwardWrongPortPrefix, true);
  auto session = PortForwardSession::Open(*client_, {"db", "db-0", echo.port()});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  ASSERT_TRUE((*session)->Send(core::AsBytes(std::string("x"))).ok());
  core::Bytes buffer(64);
  auto got = (*session)->Receive(buffer);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("answered for port"), std::string::npos)
      << got.status().message();
}

TEST_F(PortForwardTest, MissingPodIsNotFound) {
  auto session = PortForwardSession::Open(*client_, {"db", "db-9", 5432});
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), core::ErrorCode::kNotFound);
}

TEST_F(PortForwardTest, ForwarderRelaysConcurrentConnectionsEachThroughItsOwnSession) {
  testing::TcpEchoServer echo;
  auto forwarder = PortForwarder::Start(*client_, {"db", "db-0", echo.port()});
  ASSERT_TRUE(forwarder.ok()) << forwarder.status().ToString();
  EXPECT_EQ((*forwarder)->host(), "127.0.0.1");
  auto first_conn = testing::ConnectLoopback((*forwarder)->port());
  ASSERT_TRUE(first_conn.ok());
  core::UniqueFd first = std::move(first_conn).value();
  auto second_conn = testing::ConnectLoopback((*forwarder)->port());
  ASSERT_TRUE(second_conn.ok());
  core::UniqueFd second = std::move(second_conn).value();
  const std::string one = ForwardTestPattern(1 << 20, 'a');
  const std::string two = ForwardTestPattern(1 << 20, 'b');
  std::string back_one, back_two;
  std::thread other([&] { back_two = testing::EchoRoundTrip(second.get(), two); });
  back_one = testing::EchoRoundTrip(first.get(), one);
  other.join();
  EXPECT_EQ(back_one, one);
  EXPECT_EQ(back_two, two);
  EXPECT_EQ(PortForwardsServed(), 2);
  EXPECT_TRUE((*forwarder)->LastError().ok());
}

TEST_F(PortForwardTest, DestroyingTheForwarderEndsOpenConnections) {
  testing::TcpEchoServer echo;
  auto forwarder = PortForwarder::Start(*client_, {"db", "db-0", echo.port()});
  ASSERT_TRUE(forwarder.ok());
  auto client_conn = testing::ConnectLoopback((*forwarder)->port());
  ASSERT_TRUE(client_conn.ok());
  core::UniqueFd client = std::move(client_conn).value();
  EXPECT_EQ(testing::EchoRoundTrip(client.get(), "ping"), "ping");
  forwarder->reset();  // must close the session and join, with the client still connected
  core::Bytes buffer(16);
  auto got = core::ReadSome(client.get(), buffer);
  EXPECT_TRUE(!got.ok() || *got == 0) << "the local connection stays open after the forwarder";
}

TEST_F(PortForwardTest, ForwarderRecordsASessionErrorAndClosesTheConnection) {
  int closed_port = 0;
  core::UniqueFd not_listening = testing::RefusingTcpPort(&closed_port);
  auto forwarder = PortForwarder::Start(*client_, {"db", "db-0", closed_port});
  ASSERT_TRUE(forwarder.ok());
  auto client_conn = testing::ConnectLoopback((*forwarder)->port());
  ASSERT_TRUE(client_conn.ok());
  core::UniqueFd client = std::move(client_conn).value();
  core::Bytes buffer(16);
  auto got = core::ReadSome(client.get(), buffer);  // the forwarder ends the connection
  EXPECT_TRUE(!got.ok() || *got == 0);
  // The relay records the error before it shuts the local connection down.
  const core::Status error = (*forwarder)->LastError();
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.message().find("error forwarding port"), std::string::npos) << error.ToString();
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
