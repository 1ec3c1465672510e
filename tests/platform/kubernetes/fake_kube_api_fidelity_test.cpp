// Fidelity of FakeKubeApi, checked with real clients from Debian: python3-kubernetes (CRUD,
// custom objects, watches with bookmarks and 410 handling, WebSocket exec with the exit code,
// port-forward with its error channel) and kubectl (get, apply, watch, exec over WebSocket and
// SPDY/3.1, delete). Each semantic broken on purpose makes the real client's check fail, so these
// checks can fail.
#include <filesystem>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "support/command.h"
#include "support/fake_kube_api.h"
#include "support/source_dir.h"

namespace hasteward::testing {
namespace {

std::string ScriptPath() {
  return SourceDir() + "/tests/platform/kubernetes/fidelity_client.py";
}

class FakeKubeFidelityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = FakeKubeApi::Start();
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    api_ = std::move(started).value();
    auto kubeconfig = api_->WriteKubeconfig(api_->admin_token());
    ASSERT_TRUE(kubeconfig.ok());
    kubeconfig_ = *kubeconfig;
  }

  CmdResult Python(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"timeout", "60", "/usr/bin/python3", ScriptPath(),
                                     kubeconfig_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }

  CmdResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_file = "") {
    std::vector<std::string> argv = {"timeout", "60", "kubectl", "--kubeconfig", kubeconfig_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, kubectl_env_, stdin_file);
  }

  void CreatePod(const std::string& name, const std::string& pod_ip = "") {
    nlohmann::json object = {{"apiVersion", "v1"},
                             {"kind", "Pod"},
                             {"metadata", {{"name", name}, {"namespace", "default"}}},
                             {"spec", {{"containers", {{{"name", "db"}}}}}}};
    if (!pod_ip.empty()) {
      object["status"] = {{"podIP", pod_ip}};
    }
    auto pod = api_->CreateForTest(object);
    ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  }

  std::unique_ptr<FakeKubeApi> api_;
  std::string kubeconfig_;
  void ExpectExecWithStdinAndExitCode();

  std::map<std::string, std::string> kubectl_env_;
};

std::string Describe(const CmdResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\nstdout: " + result.out +
         "\nstderr: " + result.err;
}

TEST_F(FakeKubeFidelityTest, PythonClientCrudOnSecretsPodsAndLeases) {
  CmdResult result = Python({"crud"});
  EXPECT_EQ(result.exit_code, 0) << Describe(result);
}

TEST_F(FakeKubeFidelityTest, PythonClientCustomObjectsWithStatusSubresource) {
  CmdResult result = Python({"custom"});
  EXPECT_EQ(result.exit_code, 0) << Describe(result);
}

TEST_F(FakeKubeFidelityTest, PythonClientWatchSeesChangesAfterTheListVersion) {
  CmdResult result = Python({"watch"});
  EXPECT_EQ(result.exit_code, 0) << Describe(result);
}

TEST_F(FakeKubeFidelityTest, PythonClientWatchGetsBookmarks) {
  CmdResult result = Python({"bookmarks"});
  EXPECT_EQ(result.exit_code, 0) << Describe(result);
}

void CreateSecret(FakeKubeApi& api, const std::string& name) {
  ASSERT_TRUE(
      api.CreateForTest({{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", name}}}})
          .ok());
}

TEST_F(FakeKubeFidelityTest, PythonClientGets410FromACompactedVersionAndRelists) {
  CreateSecret(*api_, "before");
  const std::string old_version = std::to_string(api_->store().resource_version());
  CreateSecret(*api_, "after-compaction");
  api_->store().Compact();
  CmdResult result = Python({"watch-expired", old_version});
  EXPECT_EQ(result.exit_code, 0) << Describe(result);

  // Broken on purpose: a server that resumes silently instead of answering 410 fails the check.
  api_->SetFaultForTest(FakeKubeFault::kWatchNeverExpires, true);
  CmdResult broken = Python({"watch-expired", old_version});
  EXPECT_NE(broken.exit_code, 0) << Describe(broken);
  EXPECT_NE(broken.out.find("410"), std::string::npos) << Describe(broken);
}

TEST_F(FakeKubeFidelityTest, PythonClientExecStreamsAndReadsTheExitCode) {
  CreatePod("db-0");
  CmdResult result = Python({"exec", "db-0"});
  EXPECT_EQ(result.exit_code, 0) << Describe(result);

  // Broken on purpose: without the status channel the real client cannot read an exit code.
  api_->SetFaultForTest(FakeKubeFault::kExecOmitsStatus, true);
  CmdResult broken = Python({"exec", "db-0"});
  EXPECT_NE(broken.exit_code, 0) << Describe(broken);
}

TEST_F(FakeKubeFidelityTest, PythonClientExecOfAMissingPodIs404) {
  CmdResult result = Python({"exec", "no-such-pod"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("404"), std::string::npos) << Describe(result);
}

TEST_F(FakeKubeFidelityTest, PythonClientPortForwardReachesTheServerBehindThePodIp) {
  CreatePod("db-0", "127.0.0.1");
  CmdResult result = Python({"portforward", "db-0"});
  EXPECT_EQ(result.exit_code, 0) << Describe(result);
  EXPECT_EQ(api_->PortForwardsForTest(), 1);

  // Broken on purpose: the real client checks the port its first channel messages name.
  api_->SetFaultForTest(FakeKubeFault::kPortForwardWrongPortPrefix, true);
  CmdResult broken = Python({"portforward", "db-0"});
  EXPECT_NE(broken.exit_code, 0) << Describe(broken);
}

TEST_F(FakeKubeFidelityTest, PythonClientPortForwardReadsTheErrorChannel) {
  CreatePod("db-0", "127.0.0.1");
  // Port 1 on loopback: nothing listens there (only root could bind it; the tests never do).
  CmdResult result = Python({"portforward-refused", "db-0", "1"});
  EXPECT_EQ(result.exit_code, 0) << Describe(result);
}

TEST_F(FakeKubeFidelityTest, KubectlGetApplyDelete) {
  CreatePod("db-0");
  CmdResult pods = Kubectl({"get", "pods", "-o", "name"});
  ASSERT_EQ(pods.exit_code, 0) << Describe(pods);
  EXPECT_EQ(pods.out, "pod/db-0\n");

  auto dir = core::TempDir::Create("kubectl-apply-");
  ASSERT_TRUE(dir.ok());
  const std::string manifest = WriteFile(dir->path() + "/secret.yaml",
                                         "apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n"
                                         "stringData:\n  password: one\n");
  // The fake serves no OpenAPI document, so kubectl's client-side schema validation is off.
  CmdResult created = Kubectl({"apply", "--validate=false", "-f", manifest});
  ASSERT_EQ(created.exit_code, 0) << Describe(created);
  EXPECT_NE(created.out.find("secret/repo created"), std::string::npos) << Describe(created);
  WriteFile(manifest,
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n  labels:\n    a: b\n"
            "stringData:\n  password: two\n");
  CmdResult configured = Kubectl({"apply", "--validate=false", "-f", manifest});
  ASSERT_EQ(configured.exit_code, 0) << Describe(configured);
  EXPECT_NE(configured.out.find("secret/repo configured"), std::string::npos)
      << Describe(configured);
  CmdResult labels = Kubectl({"get", "secret", "repo", "-o", "jsonpath={.metadata.labels.a}"});
  EXPECT_EQ(labels.out, "b") << Describe(labels);

  CmdResult deleted = Kubectl({"delete", "secret", "repo"});
  ASSERT_EQ(deleted.exit_code, 0) << Describe(deleted);
  CmdResult missing = Kubectl({"get", "secret", "repo"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("NotFound"), std::string::npos) << Describe(missing);
}

TEST_F(FakeKubeFidelityTest, KubectlWatchSeesACreate) {
  std::thread creator([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CreateSecret(*api_, "watched");
  });
  CmdResult watched = Kubectl({"get", "secrets", "--watch", "-o", "name", "--request-timeout=4s"});
  creator.join();
  EXPECT_NE(watched.out.find("secret/watched"), std::string::npos) << Describe(watched);
}

// kubectl exec -i: stdin in, stdout and stderr out, the exit code from the status; without the
// status kubectl must not report the command's exit code.
void FakeKubeFidelityTest::ExpectExecWithStdinAndExitCode() {
  auto dir = core::TempDir::Create("kubectl-exec-");
  ASSERT_TRUE(dir.ok());
  const std::string input = WriteFile(dir->path() + "/in", "hello\nworld\n");
  CmdResult result =
      Kubectl({"exec", "-i", "db-0", "--", "sh", "-c", "wc -l; echo to-err >&2; exit 7"}, input);
  EXPECT_EQ(result.exit_code, 7) << Describe(result);
  EXPECT_EQ(result.out, "2\n") << Describe(result);
  EXPECT_NE(result.err.find("to-err"), std::string::npos) << Describe(result);

  api_->SetFaultForTest(FakeKubeFault::kExecOmitsStatus, true);
  CmdResult broken = Kubectl({"exec", "db-0", "--", "sh", "-c", "exit 7"});
  EXPECT_NE(broken.exit_code, 7) << Describe(broken);
}

// The transport this kubectl picks: WebSocket from kubectl 1.30 on, SPDY/3.1 before (Debian 12's
// kubernetes-client is 1.20).
TEST_F(FakeKubeFidelityTest, KubectlExecWithStdinAndExitCode) {
  CreatePod("db-0");
  ExpectExecWithStdinAndExitCode();
}

// SPDY/3.1 with any kubectl: newer ones fall back to it when told to.
TEST_F(FakeKubeFidelityTest, KubectlExecOverSpdyWithStdinAndExitCode) {
  CreatePod("db-0");
  kubectl_env_["KUBECTL_REMOTE_COMMAND_WEBSOCKETS"] = "false";
  ExpectExecWithStdinAndExitCode();
  EXPECT_EQ(api_->ExecTransportsForTest(),
            std::vector<FakeExecTransportKind>(2, FakeExecTransportKind::kSpdy));
}

}  // namespace
}  // namespace hasteward::testing
