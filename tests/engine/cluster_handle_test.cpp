#include "engine/cluster_handle.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "platform/registry.h"

namespace hasteward::engine {
namespace {

class ClusterHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-handle-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
    platform::PlatformOptions options;
    options.inventory_path = dir_->path() + "/inventory.yaml";  // missing: no clusters
    auto opened = platform::OpenPlatform(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    platform_ = std::move(*opened);
  }

  static platform::Cluster ClusterOf(platform::EngineKind kind) {
    platform::Cluster cluster;
    cluster.name = "shop";
    cluster.ns = "prod";
    cluster.engine = kind;
    return cluster;
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<platform::Platform> platform_;
};

TEST_F(ClusterHandleTest, TheEngineAlwaysMatchesTheClusterKind) {
  for (auto kind : {platform::EngineKind::kPostgres, platform::EngineKind::kMariadb,
                    platform::EngineKind::kGalera}) {
    auto handle = ClusterHandle::Open(*platform_, ClusterOf(kind));
    ASSERT_TRUE(handle.ok()) << handle.status().ToString();
    EXPECT_EQ(handle->engine().kind(), kind);
    EXPECT_EQ(handle->cluster().engine, kind);
    EXPECT_EQ(&handle->platform(), platform_.get());
  }
}

TEST_F(ClusterHandleTest, AMovedHandleKeepsItsPlatformClusterAndEngine) {
  auto handle = ClusterHandle::Open(*platform_, ClusterOf(platform::EngineKind::kGalera));
  ASSERT_TRUE(handle.ok());
  ClusterHandle moved = std::move(*handle);
  EXPECT_EQ(moved.QualifiedName(), "prod/shop");
  EXPECT_EQ(moved.engine().kind(), platform::EngineKind::kGalera);
  EXPECT_EQ(&moved.platform(), platform_.get());
}

}  // namespace
}  // namespace hasteward::engine
