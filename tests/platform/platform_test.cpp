#include "platform/platform.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "platform/sandbox/sandbox_build.h"

namespace hasteward::platform {
namespace {

TEST(EngineKindTest, ParsesEveryAlias) {
  EXPECT_EQ(*ParseEngineKind("cnpg"), EngineKind::kPostgres);
  EXPECT_EQ(*ParseEngineKind("postgres"), EngineKind::kPostgres);
  EXPECT_EQ(*ParseEngineKind("postgresql"), EngineKind::kPostgres);
  EXPECT_EQ(*ParseEngineKind("mariadb"), EngineKind::kMariadb);
  EXPECT_EQ(*ParseEngineKind("mysql"), EngineKind::kMariadb);
  EXPECT_EQ(*ParseEngineKind("galera"), EngineKind::kGalera);
}

TEST(EngineKindTest, RejectsUnknownWithUsageAndHint) {
  auto r = ParseEngineKind("oracle");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(r.status().message().find("'oracle'"), std::string::npos);
  EXPECT_NE(r.status().hint().find("galera"), std::string::npos);
}

TEST(EngineKindTest, NamesRoundTrip) {
  for (auto k : {EngineKind::kPostgres, EngineKind::kMariadb, EngineKind::kGalera}) {
    EXPECT_EQ(*ParseEngineKind(EngineKindName(k)), k);
  }
}

constexpr char kSecret[] = "s3cr3t-Value-42";

TEST(SecretRefTest, ResolvesFileAndStripsNewline) {
  auto dir = core::TempDir::Create("hs-secret-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/pw";
  ASSERT_TRUE(sandbox::WriteFile(path, std::string(kSecret) + "\n", 0600).ok());
  SecretRef ref{path, ""};
  auto v = ref.Resolve();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, kSecret);
}

TEST(SecretRefTest, ResolvesEnvironmentVariable) {
  ::setenv("HS_TEST_SECRET_ENV", kSecret, 1);
  auto v = SecretRef{"", "HS_TEST_SECRET_ENV"}.Resolve();
  ::unsetenv("HS_TEST_SECRET_ENV");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, kSecret);
}

TEST(SecretRefTest, MissingFileNamesPathNotSecret) {
  auto v = SecretRef{"/nonexistent/hs/pw", ""}.Resolve();
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("'/nonexistent/hs/pw'"), std::string::npos);
}

TEST(SecretRefTest, UnsetEnvNamesVariable) {
  ::unsetenv("HS_TEST_SECRET_UNSET");
  auto v = SecretRef{"", "HS_TEST_SECRET_UNSET"}.Resolve();
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("'HS_TEST_SECRET_UNSET'"), std::string::npos);
}

// A secret must never leak into an error: here the env var is set (so its value is in reach) but
// the reference is invalid because a file is given too, and the file is unreadable.
TEST(SecretRefTest, ErrorsNeverContainTheSecret) {
  ::setenv("HS_TEST_SECRET_BOTH", kSecret, 1);
  auto both = SecretRef{"/nonexistent/pw", "HS_TEST_SECRET_BOTH"}.Resolve();
  ::unsetenv("HS_TEST_SECRET_BOTH");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().ToString().find(kSecret), std::string::npos);

  auto dir = core::TempDir::Create("hs-secret-");
  ASSERT_TRUE(dir.ok());
  std::string path = dir->path() + "/pw";
  ASSERT_TRUE(sandbox::WriteFile(path, kSecret, 0000).ok());
  auto unreadable = SecretRef{path + "/not-a-dir", ""}.Resolve();
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.status().ToString().find(kSecret), std::string::npos);
}

TEST(SecretRefTest, EmptyRefResolvesToEmpty) {
  SecretRef ref;
  EXPECT_TRUE(ref.empty());
  auto v = ref.Resolve();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "");
}

TEST(ClusterTest, FindInstanceByOrdinal) {
  Cluster c;
  for (int ordinal : {0, 2}) {
    Instance i;
    i.name = "a-" + std::to_string(ordinal);
    i.ordinal = ordinal;
    c.instances.push_back(i);
  }
  ASSERT_NE(c.FindInstance(2), nullptr);
  EXPECT_EQ(c.FindInstance(2)->name, "a-2");
  EXPECT_EQ(c.FindInstance(1), nullptr);
}

}  // namespace
}  // namespace hasteward::platform
