// The platform conformance suite against the local platform: a real single-instance PostgreSQL
// sandbox, opened through the registry as every command opens it.
#include "core/os_user.h"
#include "platform/platform_conformance.h"
#include "platform/registry.h"
#include "support/sandbox_cluster.h"

namespace hasteward::platform::testing {
namespace {

class LocalFixture : public PlatformFixture {
 public:
  static core::Result<std::unique_ptr<PlatformFixture>> Make() {
    hasteward::testing::SandboxCluster::Options o;
    o.engine = EngineKind::kPostgres;
    o.instances = 1;
    o.name = "conformance";
    HS_ASSIGN_OR_RETURN(auto sandbox, hasteward::testing::SandboxCluster::Create(o));
    PlatformOptions where;
    where.name = "local";
    where.inventory_path = sandbox->inventory_path();
    std::unique_ptr<LocalFixture> f(new LocalFixture());
    HS_ASSIGN_OR_RETURN(f->platform_, OpenPlatform(where));
    f->sandbox_ = std::move(sandbox);
    return std::unique_ptr<PlatformFixture>(std::move(f));
  }

  Platform& platform() override { return *platform_; }
  const Cluster& cluster() const override { return sandbox_->cluster(); }
  std::string expected_os_user() const override {
    // Only root can switch users; otherwise everything runs as whoever runs the tests.
    const std::string& os_user = sandbox_->instance(0).os_user;
    return core::RunningAsRoot() && !os_user.empty() ? os_user : core::CurrentOsUser().name;
  }

 private:
  LocalFixture() = default;
  std::unique_ptr<hasteward::testing::SandboxCluster> sandbox_;
  std::unique_ptr<Platform> platform_;
};

PlatformFactory LocalFactory() {
  return PlatformFactory{
      "local",
      {Capability::kCanStartStop, Capability::kLocalFilesystem, Capability::kDataDirFiles},
      &LocalFixture::Make,
      ""};
}

INSTANTIATE_TEST_SUITE_P(Local, PlatformConformanceTest, ::testing::Values(LocalFactory()),
                         PlatformFactoryName);

}  // namespace
}  // namespace hasteward::platform::testing
