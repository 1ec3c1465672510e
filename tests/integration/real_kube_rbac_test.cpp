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
// No node runs here yet, so a request the authorizer allows goes on to the pod's node and fails
// there ("does not have a host assigned"): the authorizer's answer is what this test judges.
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "platform/kubernetes/kube_config.h"
#include "platform/kubernetes/pod_exec.h"
#include "platform/kubernetes/port_forward.h"
#include "support/command.h"
#include "support/real_kube_api.h"
#include "support/source_dir.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;
using nlohmann::json;

constexpr const char* kOperatorNs = "hasteward";
constexpr const char* kOperatorAccount = "hasteward";
constexpr const char* kDbNs = "shop";
constexpr const char* kPod = "shop-1";

class RealKubeRbacTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto api = RealKubeApi::Start();
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(*api).release();
  }
  static void TearDownTestSuite() {
    delete api_;
    api_ = nullptr;
  }

  static RealKubeApi& api() { return *api_; }

  // A client authenticated as the operator's ServiceAccount (a token the real server issued).
  static k8s::KubeClient OperatorClient() {
    auto token = api().ServiceAccountToken(kOperatorNs, kOperatorAccount);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    auto kubeconfig = api().WriteKubeconfig(token.ok() ? *token : "", kDbNs);
    EXPECT_TRUE(kubeconfig.ok());
    auto config = k8s::LoadKubeconfig(*kubeconfig);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    return k8s::KubeClient(*config);
  }

  // What the server answered an exec over WebSocket (our client) as the operator.
  static std::string ExecAnswer() {
    k8s::KubeClient client = OperatorClient();
    auto exec = k8s::PodExec::Start(client, {kDbNs, kPod, "", {"true"}, false});
    return exec.ok() ? "started" : exec.status().message();
  }

  // What the server answered a port-forward over WebSocket (our client) as the operator.
  static std::string PortForwardAnswer() {
    k8s::KubeClient client = OperatorClient();
    auto session = k8s::PortForwardSession::Open(client, {kDbNs, kPod, 5432});
    return session.ok() ? "started" : session.status().message();
  }

  // What the server answered kubectl's exec over SPDY (Debian 12's kubectl 1.20) as the operator.
  static std::string SpdyExecAnswer() {
    auto token = api().ServiceAccountToken(kOperatorNs, kOperatorAccount);
    auto kubeconfig = api().WriteKubeconfig(token.ok() ? *token : "", kDbNs);
    CmdResult r = RunCommand({"/usr/bin/kubectl", "--kubeconfig", *kubeconfig, "exec", kPod, "--",
                              "true"});
    return r.err;
  }

  static RealKubeApi* api_;
};

RealKubeApi* RealKubeRbacTest::api_ = nullptr;

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
  ASSERT_EQ(api().Kubectl({"create", "namespace", kDbNs}).exit_code, 0);
  // Without kube-controller-manager no namespace gets its default ServiceAccount, which the
  // ServiceAccount admission plugin requires of a pod.
  ASSERT_EQ(api().Kubectl({"create", "serviceaccount", "default", "-n", kDbNs}).exit_code, 0);
  auto pod = api().Create(json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", kPod}, {"namespace", kDbNs}}},
      {"spec", {{"containers", json::array({{{"name", "postgres"}, {"image", "localhost/pg:15"}}})}}}});
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
}

// The operator's account may exec and port-forward over both transports with deploy/'s RBAC.
TEST_F(RealKubeRbacTest, OperatorAccountMayExecAndPortForwardOverWebSocketAndSpdy) {
  std::string exec = AnswerOnce(ExecAnswer, false);
  EXPECT_FALSE(Forbidden(exec)) << exec;
  EXPECT_NE(exec.find("does not have a host assigned"), std::string::npos) << exec;
  std::string forward = PortForwardAnswer();
  EXPECT_FALSE(Forbidden(forward)) << forward;
  EXPECT_NE(forward.find("does not have a host assigned"), std::string::npos) << forward;
  std::string spdy = SpdyExecAnswer();
  EXPECT_FALSE(Forbidden(spdy)) << spdy;
  EXPECT_NE(spdy.find("does not have a host assigned"), std::string::npos) << spdy;
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
