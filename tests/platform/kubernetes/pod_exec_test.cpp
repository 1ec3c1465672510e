// Pod exec through a real kube-apiserver (issue 50) to a pod of the test node (RealKubeNode): the
// server authenticates and authorizes the WebSocket upgrade, translates our v5.channel.k8s.io
// session to SPDY toward the node, and its translation is what our client reads. The node's agent
// runs the command as a local process.
#include "platform/kubernetes/pod_exec.h"

#include <gtest/gtest.h>

#include "core/fd.h"
#include "support/real_kube_admin_test.h"

namespace hasteward::platform::kubernetes {
namespace {

using testing::KubeletAgentOptions;
using testing::KubeletFault;

class PodExecTest : public testing::RealKubeAdminTest {
 protected:
  void Start(testing::RealKubeApiOptions server = {}, KubeletAgentOptions agent = {}) {
    ASSERT_NO_FATAL_FAILURE(StartApiWith(std::move(server), {"db"}));
    ASSERT_NO_FATAL_FAILURE(StartNode(std::move(agent)));
    auto pod = node_->AddPod("db", "db-0", {"db"});
    ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  }
  ExecRequest Request(std::vector<std::string> command) {
    return {"db", "db-0", "", std::move(command), false};
  }
};

TEST_F(PodExecTest, StreamsStdinThroughTheCommandToStdout) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::string input(3 << 20, 'x');
  for (size_t index = 0; index < input.size(); index += 4096) {
    input[index] = static_cast<char>('a' + index % 26);
  }
  core::MemorySource source(core::Bytes(input.begin(), input.end()));
  core::MemorySink sink;
  auto exit = RunInPod(*client_, Request({"cat"}), &source, &sink);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_EQ(core::AsString(sink.data()), input);
  EXPECT_EQ(node_->agent().ExecTransportsForTest(),
            std::vector<testing::FakeExecTransportKind>{testing::FakeExecTransportKind::kSpdy})
      << "the server translates our WebSocket to SPDY toward the node";
}

TEST_F(PodExecTest, NonZeroExitIsDumpFailedWithTheStderrTail) {
  ASSERT_NO_FATAL_FAILURE(Start());
  core::MemorySink sink;
  auto exit = RunInPod(*client_, Request({"sh", "-c", "echo partial; echo broken >&2; exit 3"}),
                       nullptr, &sink);
  ASSERT_FALSE(exit.ok());
  EXPECT_EQ(exit.status().code(), core::ErrorCode::kDumpFailed);
  EXPECT_NE(exit.status().message().find("status 3"), std::string::npos)
      << exit.status().ToString();
  EXPECT_NE(exit.status().message().find("broken"), std::string::npos);
}

TEST_F(PodExecTest, SourceEndsWithAnErrorWhenTheCommandFails) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto exec = PodExec::Start(*client_, Request({"sh", "-c", "printf data; exit 4"}));
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  PodExecSource source(std::move(exec).value());
  uint8_t buf[64];
  auto first = source.Read(buf);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(core::AsString(std::span(buf).first(*first)), "data");
  auto end = source.Read(buf);
  ASSERT_FALSE(end.ok()) << "a failed dump must not look like a short complete stream";
  EXPECT_EQ(end.status().code(), core::ErrorCode::kDumpFailed);
}

// Servers that pass the exec WebSocket on to the kubelet: every server before 1.30, and 1.30+
// with TranslateStreamCloseWebsocketRequests off. The kubelets behind them speak v4.
constexpr const char* kPassThroughWebSocket =
    "--feature-gates=TranslateStreamCloseWebsocketRequests=false";

// A node that ends an exec without its status, behind a server that passes the session through.
// A 1.30+ server by default translates our WebSocket to SPDY toward the node and reads the node's
// status itself: a SPDY error stream that ends empty is success to it (client-go's
// remotecommand/errorstream.go), and it writes a Success status to us, so the client cannot tell
// (measured: exit 0).
TEST_F(PodExecTest, MissingStatusIsAnErrorNeverSuccess) {
  KubeletAgentOptions agent;
  agent.exec_protocols = {"v4.channel.k8s.io"};
  ASSERT_NO_FATAL_FAILURE(Start({{}, {kPassThroughWebSocket}}, agent));
  node_->agent().SetFaultForTest(KubeletFault::kExecOmitsStatus, true);
  core::MemorySink sink;
  auto exit = RunInPod(*client_, Request({"sh", "-c", "echo fine"}), nullptr, &sink);
  ASSERT_FALSE(exit.ok()) << "exit " << exit->exit_code;
  EXPECT_NE(exit.status().message().find("without an exit status"), std::string::npos)
      << exit.status().ToString();
}

// A server that upgrades to v4.channel.k8s.io only: one that passes the WebSocket on to a kubelet.
TEST_F(PodExecTest, FallsBackToV4AndRefusesToCloseStdinThere) {
  KubeletAgentOptions agent;
  agent.exec_protocols = {"v4.channel.k8s.io"};
  ASSERT_NO_FATAL_FAILURE(Start({{}, {kPassThroughWebSocket}}, agent));
  core::MemorySink sink;
  auto exit = RunInPod(*client_, Request({"echo", "v4"}), nullptr, &sink);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(core::AsString(sink.data()), "v4\n");
  auto exec = PodExec::Start(*client_, {"db", "db-0", "", {"cat"}, true});
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  EXPECT_EQ((*exec)->protocol(), ExecProtocol::kV4);
  EXPECT_FALSE((*exec)->CloseStdin().ok());
  for (testing::FakeExecTransportKind transport : node_->agent().ExecTransportsForTest()) {
    EXPECT_EQ(transport, testing::FakeExecTransportKind::kWebSocket) << "passed through";
  }
}

TEST_F(PodExecTest, MissingPodIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto exec = PodExec::Start(*client_, {"db", "db-9", "", {"true"}, false});
  ASSERT_FALSE(exec.ok());
  EXPECT_EQ(exec.status().code(), core::ErrorCode::kNotFound) << exec.status().ToString();
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
