// The container image as users run it (issue #34): deploy/image/build.sh makes it from Debian 12
// packages (debootstrap) and the binary under test (buildah, no registry), and the operator is
// started from it with `podman run` on the host network, as its own unprivileged user, against the
// real kube-apiserver (deploy/ applied as users apply it). A CloudNativePG Cluster published from a
// real PostgreSQL sandbox, a BackupRepository whose password is in a Secret and a minutely
// BackupPolicy: the operator in the image backs the cluster up on schedule into the repository
// (a directory shared with the container, as a pod's volume), which stock restic then reads.
// One story (one ctest test): the image is built once, in SetUpTestSuite.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/poll_until.h"
#include "platform/kubernetes/kube_client.h"
#include "platform/kubernetes/kube_config.h"
#include "support/command.h"
#include "support/container_image.h"
#include "support/fake_kube_operators.h"
#include "support/kube_published_cluster.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kCluster[] = "imagepg";
constexpr char kGroupVersion[] = "clinic.hasteward.prplanit.com/v1alpha1";
constexpr char kImageUid[] = "65532";  // the image's own user (deploy/image/build.sh)

class ImageServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto built = ContainerImage::Build("localhost/hasteward:test-" + std::to_string(::getpid()));
    if (built.ok()) {
      image_ = new ContainerImage(std::move(built).value());
      std::printf("%s", image_->build_log().c_str());  // the build's steps and times
    } else {
      build_error_ = built.status().ToString();
    }
  }
  static void TearDownTestSuite() {
    delete image_;
    image_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(image_, nullptr) << build_error_;
    auto kube = KubePublishedCluster::Start({.engine = platform::EngineKind::kPostgres,
                                             .name = kCluster,
                                             .instances = 1,
                                             .temp_prefix = "hs-image-"});
    ASSERT_TRUE(kube.ok()) << kube.status().ToString();
    kube_ = std::move(kube).value();
    auto admin = k8s::LoadKubeconfig(kube_->operator_api().AdminKubeconfig());
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::make_unique<k8s::KubeClient>(*admin);
  }

  void TearDown() override { serve_.Stop(); }

  // The pod's view: its own state directory and the repository volume, owned by the image's user
  // (a volume's fsGroup), and the operator's kubeconfig inside it.
  std::map<std::string, std::string> PodEnvironment() {
    const std::string pod_dir = hs().Path("pod");
    fs::create_directories(pod_dir + "/state");
    fs::copy_file(kube_->operator_api().env().at("KUBECONFIG"), pod_dir + "/kubeconfig");
    for (const std::string& dir : {pod_dir, hs().repository()}) {
      EXPECT_EQ(
          RunCommand({"chown", "-R", std::string(kImageUid) + ":" + kImageUid, dir}, {}).exit_code,
          0);
    }
    return {{"KUBECONFIG", pod_dir + "/kubeconfig"},
            {"POD_NAME", kube_->operator_api().env().at("POD_NAME")},
            {"POD_NAMESPACE", kube_->operator_api().env().at("POD_NAMESPACE")},
            {"HASTEWARD_STATE_DIR", pod_dir + "/state"},
            {"HOME", pod_dir},
            {"HASTEWARD_KDF_PARAMS", hs().vars().at("HASTEWARD_KDF_PARAMS")},
            {"TZ", "UTC"}};
  }

  void StartServeFromTheImage() {
    auto env = PodEnvironment();
    const std::string config =
        WriteFile(hs().Path("pod/serve.yaml"),
                  "platform: kubernetes\n"
                  "stateFile: " +
                      hs().Path("pod/state/serve-state.json") +
                      "\n"
                      "discovery: {annotations: true, resyncSeconds: 3600}\n");
    const std::vector<std::string> shared = {hs().dir()};
    ServeProcess::Options options{.tick_seconds = 0.5, .grace_seconds = 20};
    options.ready_within = 60s;
    options.launcher = [this, shared](const std::vector<std::string>& args,
                                      const std::map<std::string, std::string>& vars) {
      return image_->RunArgv(args, vars, shared);
    };
    auto started = serve_.Start(config, env, options);
    ASSERT_TRUE(started.ok()) << started.ToString() << serve_.Logs();
  }

  void Create(const k8s::KubeResource& resource, const std::string& ns, const json& object) {
    auto created = admin_->Create(resource, ns, object);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  void CreatePolicyAndRepository() {
    Create(k8s::resources::kSecrets, kPlatformNamespace,
           SecretObject(kPlatformNamespace, "main", {{"password", hs().password()}}));
    Create(k8s::resources::kBackupRepositories, "",
           {{"apiVersion", kGroupVersion},
            {"kind", "BackupRepository"},
            {"metadata", {{"name", "main"}}},
            {"spec",
             {{"restic",
               {{"repository", hs().repository()},
                {"passwordSecretRef", {{"name", "main"}, {"namespace", kPlatformNamespace}}}}}}}});
    Create(k8s::resources::kBackupPolicies, "",
           {{"apiVersion", kGroupVersion},
            {"kind", "BackupPolicy"},
            {"metadata", {{"name", "minutely"}}},
            {"spec", {{"backupSchedule", "* * * * *"}, {"repositories", {"main"}}}}});
    auto annotated = admin_->Patch(
        k8s::resources::kCnpgClusters, kPlatformNamespace, kCluster, k8s::PatchType::kMerge,
        {{"metadata", {{"annotations", {{"clinic.hasteward.prplanit.com/policy", "minutely"}}}}}});
    ASSERT_TRUE(annotated.ok()) << annotated.status().ToString();
  }

  static ContainerImage* image_;
  static std::string build_error_;
  HastewardEnv& hs() { return kube_->env(); }

  std::unique_ptr<KubePublishedCluster> kube_;
  std::unique_ptr<k8s::KubeClient> admin_;
  ServeProcess serve_;
};

ContainerImage* ImageServeTest::image_ = nullptr;
std::string ImageServeTest::build_error_;

TEST_F(ImageServeTest, TheOperatorFromTheImageRunsAScheduledBackup) {
  // The image runs hasteward as its own unprivileged user by default.
  auto user = image_->Inspect("{{.Config.User}}");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(*user, std::string(kImageUid) + ":" + kImageUid + "\n");
  auto entrypoint = image_->Inspect("{{.Config.Entrypoint}}");
  ASSERT_TRUE(entrypoint.ok()) << entrypoint.status().ToString();
  EXPECT_NE(entrypoint->find("/usr/local/bin/hasteward"), std::string::npos) << *entrypoint;
  auto wrote = kube_->sandbox().Sql(0,
                                    "CREATE TABLE notes (body text); "
                                    "INSERT INTO notes VALUES ('written before the image ran');");
  ASSERT_TRUE(wrote.ok()) << wrote.status().ToString();
  CreatePolicyAndRepository();
  StartServeFromTheImage();
  ASSERT_TRUE(
      core::PollUntil([&] { return serve_.Logs().find("\"job end\"") != std::string::npos; }, 90s))
      << serve_.Logs();
  EXPECT_NE(serve_.Logs().find("\"outcome\":\"ok\""), std::string::npos) << serve_.Logs();
  EXPECT_EQ(serve_.Stop(), 0) << serve_.Logs();
  // Stock restic reads what the operator in the image wrote, and the dump holds the table.
  auto listed = hs().Restic({"snapshots", "--json", "--tag", std::string("cluster=") + kCluster});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto snapshots = json::parse(listed.out, nullptr, false);
  ASSERT_TRUE(snapshots.is_array() && !snapshots.empty()) << listed.out;
  auto dumped = hs().Restic({"dump", snapshots.back().value("id", ""), "/"});
  EXPECT_NE(dumped.out.find("written before the image ran"), std::string::npos)
      << dumped.out.substr(0, 2000) << dumped.err;
}

}  // namespace
}  // namespace hasteward::testing
