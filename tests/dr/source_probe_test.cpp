// What activation's gate learns from source.probe: a TCP answer without probe credentials, the
// engine's write probe with them (its verdicts against real servers are in the engine
// conformance suite); what cannot be learned is never "not writable".
#include "dr/source_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/fd.h"

namespace hasteward::dr {
namespace {

// A listening loopback socket on a kernel-chosen port; closing it frees the port.
struct Listener {
  core::UniqueFd fd;
  int port = 0;
};

Listener Listen() {
  Listener listener;
  listener.fd = core::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::bind(listener.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::listen(listener.fd.get(), 4), 0);
  EXPECT_EQ(::getsockname(listener.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  listener.port = ntohs(addr.sin_port);
  return listener;
}

SourceSpec Probing(int port, const std::string& user = "", const std::string& password_file = "") {
  SourceSpec spec;
  spec.engine = platform::EngineKind::kMariadb;
  spec.probe = "127.0.0.1:" + std::to_string(port);
  spec.probe_credentials.user = user;
  spec.probe_credentials.password = platform::SecretRef(password_file, "");
  return spec;
}

TEST(SourceProbeTest, WithoutAProbeAddressNothingIsProbed) {
  SourceProbe probe = ProbeSource(SourceSpec{});
  EXPECT_EQ(probe.state, SourceState::kUnknown);
  EXPECT_TRUE(probe.detail.empty()) << probe.detail;
}

TEST(SourceProbeTest, WithoutCredentialsATcpAnswerCountsAsWritable) {
  Listener listener = Listen();
  SourceProbe answering = ProbeSource(Probing(listener.port));
  EXPECT_EQ(answering.state, SourceState::kWritable) << answering.detail;
  int port = listener.port;
  listener.fd.Reset();
  SourceProbe closed = ProbeSource(Probing(port));
  EXPECT_EQ(closed.state, SourceState::kUnknown) << closed.detail;
}

TEST(SourceProbeTest, WithCredentialsAClosedPortIsUnreachableNotWritable) {
  Listener listener = Listen();
  int port = listener.port;
  listener.fd.Reset();
  std::string password = ::testing::TempDir() + "/source-probe-password";
  core::UniqueFd file(::open(password.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(file.valid());
  SourceProbe probe = ProbeSource(Probing(port, "hs_probe", password));
  EXPECT_EQ(probe.state, SourceState::kUnknown) << probe.detail;
  EXPECT_NE(probe.detail.find("write probe unreachable"), std::string::npos) << probe.detail;
}

TEST(SourceProbeTest, AnUnreadablePasswordFileIsAFailedProbeNeverNotWritable) {
  Listener listener = Listen();
  SourceProbe probe = ProbeSource(Probing(listener.port, "hs_probe", "/nonexistent/probe-pw"));
  EXPECT_EQ(probe.state, SourceState::kProbeFailed) << probe.detail;
  EXPECT_NE(probe.detail.find("/nonexistent/probe-pw"), std::string::npos) << probe.detail;
}

}  // namespace
}  // namespace hasteward::dr
