#include "platform/registry.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"

namespace hasteward::platform {
namespace {

TEST(PlatformRegistryTest, LocalIsRegisteredAndTheDefault) {
  auto names = PlatformNames();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "local");
  EXPECT_EQ(std::string(kDefaultPlatform), "local");
}

TEST(PlatformRegistryTest, OpensLocalByNameAndByDefault) {
  auto dir = core::TempDir::Create("hs-registry-");
  ASSERT_TRUE(dir.ok());
  PlatformOptions o;
  o.inventory_path = dir->path() + "/inventory.yaml";
  for (const char* name : {"local", ""}) {
    o.name = name;
    auto p = OpenPlatform(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ((*p)->name(), "local");
    auto clusters = (*p)->ListClusters();
    ASSERT_TRUE(clusters.ok());
    EXPECT_TRUE(clusters->empty()) << "a missing inventory is an empty one";
  }
}

TEST(PlatformRegistryTest, AnUnknownPlatformIsUsageNamingTheKnownOnes) {
  PlatformOptions o;
  o.name = "mainframe";
  auto p = OpenPlatform(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(p.status().message().find("'mainframe'"), std::string::npos);
  EXPECT_NE(p.status().hint().find("local"), std::string::npos) << p.status().hint();
}

TEST(PlatformRegistryTest, TheFactoryErrorReachesTheCaller) {
  auto dir = core::TempDir::Create("hs-registry-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/inventory.yaml";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("clusters: {{{", f);
  std::fclose(f);
  PlatformOptions o;
  o.inventory_path = path;
  auto p = OpenPlatform(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(p.status().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace hasteward::platform
