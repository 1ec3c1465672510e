// deploy/ against a real kube-apiserver and etcd (issue 50): the manifests are applied as users
// apply them (`kubectl apply -k deploy/` with the kubectl built from the same Kubernetes release),
// and the operator's ServiceAccount, with exactly the RBAC deploy/ grants, is authorized by the
// real server for what HASteward does through pods: exec and port-forward over WebSocket (our
// client; kubectl since 1.30) and over SPDY (kubectl before 1.30, Debian 12's 1.20).
//
// A real server authorizes the WebSocket upgrade, an HTTP GET, as `get` on pods/exec and
// pods/portforward, and since 1.35 `create` as well (KEP-4006); SPDY upgrades are POSTs, `create`.
// a2220c1's RBAC granted only `create` ("each WebSocket upgrade is authorized as create", as our
// fake API server did): the server answered 403 Forbidden, 'User
// "system:serviceaccount:hasteward:hasteward" cannot get resource "pods/exec"'.
//
// The pod's node is a RealKubeNode: the server proxies exec and port-forward to it as to a kubelet
// (translating our WebSocket exec to SPDY on the way), so a request the authorizer allows runs:
// `echo` answers, and a port-forward reaches an echo server.
#include <algorithm>
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "core/subprocess.h"
#include "platform/kubernetes/kube_config.h"
#include "platform/kubernetes/pod_exec.h"
#include "platform/kubernetes/port_forward.h"
#include "support/ceph_rgw_server.h"
#include "support/command.h"
#include "support/real_kube_api.h"
#include "support/real_kube_node.h"
#include "support/source_dir.h"
#include "support/tcp_echo_server.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;
using nlohmann::json;

constexpr const char* kDbNs = "shop";
constexpr const char* kPod = "shop-1";

std::string Text(core::ByteView bytes) {
  return {bytes.begin(), bytes.end()};
}

class RealKubeRbacTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto kube = RealKubeCluster::Start();
    ASSERT_TRUE(kube.ok()) << kube.status().ToString();
    kube_ = std::move(*kube).release();
    echo_ = new TcpEchoServer();
  }
  static void TearDownTestSuite() {
    delete echo_;
    delete kube_;
    echo_ = nullptr;
    kube_ = nullptr;
  }

  static RealKubeApi& api() { return *kube_->api; }

  // A client authenticated as the operator's ServiceAccount (a token the real server issued).
  static k8s::KubeClient OperatorClient() {
    auto config = k8s::LoadKubeconfig(OperatorKubeconfig());
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    return k8s::KubeClient(*config);
  }

  // What an exec of `echo exec-ok` over WebSocket (our client) as the operator printed, or the
  // server's refusal.
  static std::string ExecAnswer() {
    k8s::KubeClient client = OperatorClient();
    auto exec = k8s::PodExec::Start(client, {kDbNs, kPod, "", {"echo", "exec-ok"}, false});
    if (!exec.ok()) {
      return exec.status().message();
    }
    core::MemorySink out;
    auto exit = (*exec)->Wait(&out);
    return exit.ok() ? Text(out.data()) : exit.status().message();
  }

  // What a port-forward over WebSocket (our client) as the operator echoed, or the refusal.
  static std::string PortForwardAnswer() {
    k8s::KubeClient client = OperatorClient();
    auto session = k8s::PortForwardSession::Open(client, {kDbNs, kPod, echo_->port()});
    if (!session.ok()) {
      return session.status().message();
    }
    const std::string ping = "forward-ok";
    if (auto sent = (*session)->Send(core::AsBytes(ping)); !sent.ok()) {
      return sent.message();
    }
    std::string echoed;
    core::Bytes buffer(64);
    while (echoed.size() < ping.size()) {
      auto got = (*session)->Receive(buffer);
      if (!got.ok() || *got == 0) {
        return got.ok() ? "ended after '" + echoed + "'" : got.status().message();
      }
      echoed += Text(std::span(buffer).first(*got));
    }
    (*session)->Close();
    return echoed;
  }

  // A kubeconfig of the operator's account.
  static std::string OperatorKubeconfig() {
    auto kubeconfig = api().OperatorKubeconfig(kDbNs);
    EXPECT_TRUE(kubeconfig.ok()) << kubeconfig.status().ToString();
    return kubeconfig.ok() ? *kubeconfig : "";
  }

  // What `kubectl exec` printed as the operator (stdout, else stderr): Debian 12's kubectl 1.20
  // speaks SPDY, the built 1.36 WebSocket.
  static std::string KubectlExecAnswer(const std::string& kubectl) {
    CmdResult r = RunCommand(
        {kubectl, "--kubeconfig", OperatorKubeconfig(), "exec", kPod, "--", "echo", "exec-ok"});
    return r.exit_code == 0 ? r.out : r.err;
  }
  static std::string SpdyExecAnswer() { return KubectlExecAnswer("/usr/bin/kubectl"); }

  // What `kubectl port-forward` relayed as the operator: 1.20 upgrades to SPDY, 1.36 tunnels
  // SPDY in a WebSocket.
  static std::string KubectlPortForwardAnswer(const std::string& kubectl) {
    int local = PickFreePort();
    core::SubprocessOptions options;
    options.argv = {kubectl,
                    "--kubeconfig",
                    OperatorKubeconfig(),
                    "port-forward",
                    "--address",
                    "127.0.0.1",
                    "pod/" + std::string(kPod),
                    std::to_string(local) + ":" + std::to_string(echo_->port())};
    options.helper = true;
    auto forwarder = core::Subprocess::Start(options);
    if (!forwarder.ok()) {
      return forwarder.status().message();
    }
    std::string echoed;
    core::PollUntil(
        [&] {
          auto conn = k8s::NetStream::Connect("127.0.0.1", local, nullptr, std::chrono::seconds(2));
          if (!conn.ok()) {
            return (*forwarder)->WaitFor(std::chrono::milliseconds(0)).has_value();
          }
          if (!(*conn)->WriteAll(core::AsBytes(std::string("forward-ok"))).ok()) {
            return false;
          }
          core::Bytes buffer(64);
          while (echoed.size() < 10) {
            auto got = (*conn)->ReadSome(buffer);
            if (!got.ok() || *got == 0) {
              break;
            }
            echoed += Text(std::span(buffer).first(*got));
          }
          return true;
        },
        std::chrono::seconds(30), std::chrono::milliseconds(200));
    (*forwarder)->Signal(SIGTERM);
    (*forwarder)->Wait();
    return echoed.empty() ? (*forwarder)->StderrAll() : echoed;
  }

  static RealKubeCluster* kube_;
  static TcpEchoServer* echo_;
};

RealKubeCluster* RealKubeRbacTest::kube_ = nullptr;
TcpEchoServer* RealKubeRbacTest::echo_ = nullptr;

bool Forbidden(const std::string& answer) {
  return answer.find("forbidden") != std::string::npos ||
         answer.find("Forbidden") != std::string::npos;
}

// The authorizer reads RBAC objects from its own watch cache: a change counts once it is seen.
// Polls `answer` until `forbidden` is what it says (bounded); returns the last answer.
std::string AnswerOnce(const std::function<std::string()>& answer, bool forbidden) {
  std::string last;
  core::PollUntil([&] { return Forbidden(last = answer()) == forbidden; }, std::chrono::seconds(20),
                  std::chrono::milliseconds(200));
  return last;
}

// The manifests as users apply them: the real server's admission and the CRDs' schemas accept
// every object. Only the Prometheus Operator's kinds are refused here, as on any cluster without
// that operator (deploy/kustomization.yaml says so).
TEST_F(RealKubeRbacTest, DeployAppliesAsUsersApplyIt) {
  CmdResult applied = api().Kubectl({"apply", "-k", SourceDir() + "/deploy"});
  std::string refused;
  for (size_t at = 0; (at = applied.err.find("error:", at)) != std::string::npos; ++at) {
    std::string line = applied.err.substr(at, applied.err.find('\n', at) - at);
    if (line.find("ServiceMonitor") == std::string::npos &&
        line.find("PrometheusRule") == std::string::npos) {
      refused += line + "\n";
    }
  }
  EXPECT_EQ(refused, "") << applied.err;
  EXPECT_NE(applied.out.find("clusterrole.rbac.authorization.k8s.io/hasteward-operator"),
            std::string::npos)
      << applied.out;
  for (const char* crd : {"backuppolicies", "backuprepositories", "standbyclusters"}) {
    EXPECT_EQ(api()
                  .Kubectl({"get", "crd", std::string(crd) + ".clinic.hasteward.prplanit.com"})
                  .exit_code,
              0)
        << crd;
  }
  ASSERT_TRUE(api().CreateNamespace(kDbNs).ok());
  auto pod = kube_->node->AddPod(kDbNs, kPod, {"postgres"});
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
}

// The operator's account execs and port-forwards over both transports with deploy/'s RBAC,
// through the real server to the node.
TEST_F(RealKubeRbacTest, OperatorAccountExecsAndPortForwardsOverWebSocketAndSpdy) {
  EXPECT_EQ(AnswerOnce(ExecAnswer, false), "exec-ok\n");
  EXPECT_EQ(PortForwardAnswer(), "forward-ok");
  EXPECT_EQ(SpdyExecAnswer(), "exec-ok\n");
  EXPECT_EQ(KubectlExecAnswer(api().bin_dir() + "/kubectl"), "exec-ok\n");
  EXPECT_EQ(KubectlPortForwardAnswer("/usr/bin/kubectl"), "forward-ok");
  EXPECT_EQ(KubectlPortForwardAnswer(api().bin_dir() + "/kubectl"), "forward-ok");
  // What reached the node: the server turned our WebSocket exec into SPDY, as it does for a
  // kubelet (KEP-4006's translation); the node saw every exec the clients sent.
  EXPECT_EQ(kube_->node->agent().ExecTransportsForTest().size(), 3U);
  std::vector<FakeExecTransportKind> transports = kube_->node->agent().ExecTransportsForTest();
  EXPECT_EQ(std::count(transports.begin(), transports.end(), FakeExecTransportKind::kSpdy), 3)
      << "every exec reached the node as SPDY";
  EXPECT_GE(kube_->node->agent().PortForwardsForTest(), 3);
}

// The check can fail: the ClusterRole as a2220c1 shipped it (create only) is refused by the real
// server for exec and port-forward over WebSocket, while SPDY (a POST, create) still passes.
TEST_F(RealKubeRbacTest, CreateAloneIsRefusedForWebSocketUpgrades) {
  CmdResult role = api().Kubectl({"get", "clusterrole", "hasteward-operator", "-o", "json"});
  ASSERT_EQ(role.exit_code, 0) << role.err;
  json old_role = json::parse(role.out);
  json create_only = old_role;
  create_only["metadata"].erase("resourceVersion");
  for (auto& rule : create_only["rules"]) {
    for (const auto& resource : rule.value("resources", json::array())) {
      if (resource == "pods/exec" || resource == "pods/portforward") {
        rule["verbs"] = json::array({"create"});
      }
    }
  }
  ASSERT_EQ(api().Kubectl({"apply", "-f", "-"}, create_only.dump()).exit_code, 0);
  std::string exec = AnswerOnce(ExecAnswer, true);
  std::string forward = PortForwardAnswer();
  std::string spdy = SpdyExecAnswer();
  old_role["metadata"].erase("resourceVersion");
  ASSERT_EQ(api().Kubectl({"apply", "-f", "-"}, old_role.dump()).exit_code, 0);
  EXPECT_FALSE(Forbidden(AnswerOnce(ExecAnswer, false))) << "deploy/'s role is back";

  EXPECT_TRUE(Forbidden(exec)) << exec;
  EXPECT_NE(exec.find("cannot get resource \"pods/exec\""), std::string::npos) << exec;
  EXPECT_TRUE(Forbidden(forward)) << forward;
  EXPECT_NE(forward.find("cannot get resource \"pods/portforward\""), std::string::npos) << forward;
  EXPECT_FALSE(Forbidden(spdy)) << spdy;
}

}  // namespace
}  // namespace hasteward::testing
