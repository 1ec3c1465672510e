// platform::sandbox::AdoptCredentials (a sandbox's inventory entry taking the credentials of the
// cluster whose native backup replaced its data) and ConnectCommand (what `restore
// --into-sandbox` prints), on hand-made inventories: no server is started.
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "platform/local/local_platform.h"
#include "platform/sandbox.h"

namespace hasteward::platform::sandbox {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

class SandboxCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-sbcred-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
    inventory_ = dir_->path() + "/inventory.yaml";
    own_file_ = dir_->path() + "/superuser.password";
    Write(own_file_, "generated\n");
  }

  // A cluster as `sandbox up` records it (or, without the sandbox options, as a user would).
  Cluster Recorded(const std::string& name, bool sandbox) {
    Cluster c;
    c.name = name;
    c.ns = "rs";
    c.credentials = {"postgres", {own_file_, ""}};
    if (sandbox) {
      c.options[kOptionSandbox] = "true";
      c.options[kOptionSandboxDir] = dir_->path();
    }
    Instance i;
    i.name = name + "-0";
    i.port = 15433;
    c.instances.push_back(i);
    auto p = LocalPlatform::Open(inventory_);
    EXPECT_TRUE(p.ok() && (*p)->AddCluster(c).ok());
    return c;
  }

  std::unique_ptr<core::TempDir> dir_;
  std::string inventory_;
  std::string own_file_;
};

TEST_F(SandboxCredentialsTest, AdoptWritesThePasswordIntoTheSandboxsOwnFileAndTheUser) {
  Recorded("shop-restore", true);
  std::string source_file = dir_->path() + "/source.password";
  Write(source_file, "from-source\n");
  Credentials source{"app_admin", {source_file, ""}};
  ASSERT_TRUE(AdoptCredentials(inventory_, "rs", "shop-restore", source).ok());
  EXPECT_EQ(*core::ReadFileToString(own_file_), "from-source\n");
  struct stat st {};
  ASSERT_EQ(::stat(own_file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto p = LocalPlatform::Open(inventory_);
  ASSERT_TRUE(p.ok());
  auto found = (*p)->FindCluster("rs", "shop-restore");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->credentials.user, "app_admin");
  EXPECT_EQ(found->credentials.password.file, own_file_);  // not the source's file
}

TEST_F(SandboxCredentialsTest, AdoptRefusesAClusterThatIsNotASandbox) {
  Recorded("shop", false);
  std::string source_file = dir_->path() + "/source.password";
  Write(source_file, "from-source\n");
  auto st = AdoptCredentials(inventory_, "rs", "shop", {"app_admin", {source_file, ""}});
  EXPECT_EQ(st.code(), core::ErrorCode::kSafetyStop);
  EXPECT_EQ(*core::ReadFileToString(own_file_), "generated\n");
  EXPECT_EQ(AdoptCredentials(inventory_, "rs", "nope", {}).code(), core::ErrorCode::kNotFound);
}

TEST_F(SandboxCredentialsTest, ConnectCommandReadsThePasswordFromItsFileNeverHoldsIt) {
  Cluster pg = Recorded("shop-restore", true);
  std::string command = ConnectCommand(pg);
  EXPECT_EQ(command, "PGPASSWORD=\"$(cat '" + own_file_ +
                         "')\" psql -h 127.0.0.1 -p 15433 -U postgres -d postgres");
  EXPECT_EQ(command.find("generated"), std::string::npos);
  Cluster maria = pg;
  maria.engine = EngineKind::kMariadb;
  maria.credentials = {"hasteward", {"", "ADMIN_PASSWORD"}};
  EXPECT_EQ(ConnectCommand(maria),
            "mariadb -h 127.0.0.1 -P 15433 -u hasteward --password=\"$ADMIN_PASSWORD\"");
}

}  // namespace
}  // namespace hasteward::platform::sandbox
