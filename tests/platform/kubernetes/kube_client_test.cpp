#include "platform/kubernetes/kube_client.h"

#include <gtest/gtest.h>

#include "support/fake_kube_pki.h"
#include "support/loopback_relay.h"
#include "support/real_kube_admin_test.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;
// Against a real kube-apiserver and etcd (issue 50): what the server answers is the server's.
class KubeClientTest : public testing::RealKubeAdminTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartApi({"db"})); }
};

json Secret(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"labels", {{"app", "pg"}}}}},
          {"data", {{"password", "c2VjcmV0"}}}};
}

TEST_F(KubeClientTest, CreateGetListPatchDelete) {
  auto created = client_->Create(resources::kSecrets, "default", Secret("a"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_FALSE((*created)["metadata"].value("resourceVersion", "").empty());
  auto got = client_->Get(resources::kSecrets, "default", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["data"]["password"], "c2VjcmV0");

  ASSERT_TRUE(client_->Create(resources::kSecrets, "default", Secret("b")).ok());
  auto listed = client_->List(resources::kSecrets, "default", {"app=pg", "metadata.name=b"});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ((*listed)["items"].size(), 1u);
  EXPECT_EQ((*listed)["items"][0]["metadata"]["name"], "b");

  auto patched = client_->Patch(resources::kSecrets, "default", "a", PatchType::kMerge,
                                {{"metadata", {{"labels", {{"tier", "db"}}}}}});
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ((*patched)["metadata"]["labels"]["app"], "pg");
  EXPECT_EQ((*patched)["metadata"]["labels"]["tier"], "db");
  auto json_patched =
      client_->Patch(resources::kSecrets, "default", "a", PatchType::kJson,
                     json::array({{{"op", "remove"}, {"path", "/metadata/labels/tier"}}}));
  ASSERT_TRUE(json_patched.ok());
  EXPECT_FALSE((*json_patched)["metadata"]["labels"].contains("tier"));

  ASSERT_TRUE(client_->Delete(resources::kSecrets, "default", "a").ok());
  EXPECT_EQ(client_->Get(resources::kSecrets, "default", "a").status().code(),
            core::ErrorCode::kNotFound);
  EXPECT_TRUE(client_->Delete(resources::kSecrets, "default", "a").ok()) << "deleted is deleted";
}

TEST_F(KubeClientTest, StaleResourceVersionIsAConflict) {
  auto created = client_->Create(resources::kSecrets, "default", Secret("a"));
  ASSERT_TRUE(created.ok());
  json first = *created;
  first["data"]["x"] = "eA==";
  ASSERT_TRUE(client_->Replace(resources::kSecrets, "default", first).ok());
  json stale = *created;
  stale["data"]["y"] = "eQ==";
  auto conflict = client_->Replace(resources::kSecrets, "default", stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), core::ErrorCode::kAlreadyExists);
  EXPECT_NE(conflict.status().message().find("has been modified"), std::string::npos);
}

TEST_F(KubeClientTest, CustomResourcesOfTheOperators) {
  ASSERT_NO_FATAL_FAILURE(ServeCnpgClusters());  // the pinned release's own CRD
  json cluster = {{"apiVersion", "postgresql.cnpg.io/v1"},
                  {"kind", "Cluster"},
                  {"metadata", {{"name", "pg"}}},
                  {"spec", {{"instances", 3}}}};
  ASSERT_TRUE(client_->Create(resources::kCnpgClusters, "db", cluster).ok());
  auto status = client_->Patch(resources::kCnpgClusters, "db", "pg", PatchType::kMerge,
                               {{"status", {{"currentPrimary", "pg-1"}}}}, "status");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ((*status)["status"]["currentPrimary"], "pg-1");
  EXPECT_EQ(client_->Get(resources::kMariaDbs, "db", "pg").status().code(),
            core::ErrorCode::kNotFound);
}

TEST_F(KubeClientTest, WrongTokenIsAuthFailed) {
  KubeConfig config = client_->config();
  config.tls.client_cert_pem.clear();  // the admin's certificate would authenticate on its own
  config.tls.client_key_pem.clear();
  config.token = "not-a-token";
  KubeClient wrong(config);
  auto got = wrong.List(resources::kPods, "default");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), core::ErrorCode::kAuthFailed);
}

TEST_F(KubeClientTest, ClientCertificateAuthenticates) {
  // The server trusts client certificates of the fixture's CA; the group is the admin's.
  auto pair = api_->pki()->IssueClientCertificate("alice", "system:masters");
  ASSERT_TRUE(pair.ok());
  KubeConfig config = client_->config();
  config.token.clear();
  config.tls.client_cert_pem = pair->cert_pem;
  config.tls.client_key_pem = pair->key_pem;
  EXPECT_TRUE(KubeClient(config).List(resources::kPods, "default").ok());
}

TEST_F(KubeClientTest, UnknownCertificateAuthorityIsRefused) {
  KubeConfig config = client_->config();
  auto other = testing::FakeKubePki::Create();  // a CA the server's certificate is not from
  ASSERT_TRUE(other.ok());
  config.tls.ca_pem = (*other)->ca_pem();
  auto got = KubeClient(config).List(resources::kPods, "default");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("certificate verification failed"), std::string::npos)
      << got.status().ToString();
}

// A server behind a network partition answers nothing and closes nothing: only the request's own
// timeout ends the wait (the lease election bounds its requests by the renew deadline). Without
// one, the request below waits until TCP gives up, many minutes later.
TEST_F(KubeClientTest, RequestTimeoutEndsTheWaitForAServerCutOff) {
  auto proxy = testing::LoopbackRelay::Start(client_->config().port);
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  KubeConfig config = client_->config();
  config.port = (*proxy)->port();
  KubeClient bounded(config);
  bounded.SetRequestTimeout(std::chrono::milliseconds(500));
  ASSERT_TRUE(bounded.List(resources::kSecrets, "db").ok()) << "through the proxy, unbroken";
  (*proxy)->SetPartitioned(true);
  auto got = bounded.List(resources::kSecrets, "db");  // its TLS handshake gets no answer
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), core::ErrorCode::kUnreachable);
  EXPECT_TRUE(got.status().retryable());
  EXPECT_NE(got.status().message().find("did not answer before the request's deadline"),
            std::string::npos)
      << got.status().ToString();
  (*proxy)->SetPartitioned(false);
  EXPECT_TRUE(bounded.List(resources::kSecrets, "db").ok()) << "healed";
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
