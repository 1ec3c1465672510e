#include "platform/local/instance_control.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

#include "core/credential_env.h"
#include "core/subprocess.h"
#include "core/temp_dir.h"
#include "platform/local/local_platform.h"

namespace hasteward::platform {
namespace {

// A long-running process stands in for a server that ignores its stop command; the platform
// finds it through the MariaDB pid-file convention (<dataDir>/mariadbd.pid).
class StopTimeoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-stop-").value()));
    core::SubprocessOptions o;
    o.argv = {"sleep", "300"};
    auto p = core::Subprocess::Start(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    server_ = std::move(*p);
    std::ofstream(dir_->path() + "/mariadbd.pid") << server_->pid() << "\n";
    cluster_.name = "stubborn";
    cluster_.ns = "t";
    cluster_.engine = EngineKind::kMariadb;
    instance_.name = "stubborn-0";
    instance_.data_dir = dir_->path();
    instance_.stop_command = {"true"};  // "succeeds" without stopping anything
    cluster_.instances = {instance_};
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<core::Subprocess> server_;
  Cluster cluster_;
  Instance instance_;
};

TEST_F(StopTimeoutTest, AServerThatWillNotStopIsATimeoutWithinTheGivenBound) {
  auto platform = LocalPlatform::Open(dir_->path() + "/inventory.yaml");
  ASSERT_TRUE(platform.ok());
  ASSERT_TRUE(RunningPid(EngineKind::kMariadb, instance_).has_value());
  auto start = std::chrono::steady_clock::now();
  auto st = (*platform)->StopInstanceWithin(cluster_, instance_, std::chrono::seconds(2));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st.code(), core::ErrorCode::kTimeout) << st.ToString();
  EXPECT_NE(st.message().find("stubborn-0"), std::string::npos) << st.message();
  EXPECT_GE(took, std::chrono::milliseconds(1900));
  EXPECT_LT(took, std::chrono::seconds(20)) << "the default 60 s was used instead of the bound";
  EXPECT_TRUE(RunningPid(EngineKind::kMariadb, instance_).has_value()) << "it must not be killed";
}

TEST_F(StopTimeoutTest, AStopCommandThatWorksReturnsOnceTheProcessIsGone) {
  instance_.stop_command = {"kill", "-TERM", std::to_string(server_->pid())};
  auto platform = LocalPlatform::Open(dir_->path() + "/inventory.yaml");
  ASSERT_TRUE(platform.ok());
  // The test process is the parent: reap the child as soon as it dies so it is not a zombie.
  std::thread reaper([this] { server_->Wait(); });
  auto st = (*platform)->StopInstanceWithin(cluster_, instance_, std::chrono::seconds(20));
  reaper.join();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(RunningPid(EngineKind::kMariadb, instance_).has_value());
}

// A server outlives the hasteward that started it: hasteward's credentials must not be in its
// environment (readable in /proc/<pid>/environ), while the rest of the environment is kept.
TEST(StartInstanceTest, TheServerDoesNotInheritCredentialVariables) {
  auto dir = core::TempDir::Create("hs-start-env-");
  ASSERT_TRUE(dir.ok());
  std::string env_file = dir->path() + "/env";
  Instance instance;
  instance.name = "envcheck-0";
  instance.data_dir = dir->path();
  instance.start_command = {"sh", "-c", "env > '" + env_file + "'"};
  for (const auto& name : core::CredentialEnvironmentVariables())
    ::setenv(name.c_str(), "hs-secret-value", 1);
  ::setenv("HS_TEST_PLAIN_VARIABLE", "kept", 1);
  auto st = StartLocalInstance(EngineKind::kMariadb, instance);
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::ifstream in(env_file);
  std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(env.find("hs-secret-value"), std::string::npos) << env;
  EXPECT_NE(env.find("HS_TEST_PLAIN_VARIABLE=kept"), std::string::npos) << env;
}

}  // namespace
}  // namespace hasteward::platform
