// The fence block a failover writes into an old primary's config: added once, after everything
// (a later [mysqld] value wins), and removed exactly, leaving the rest of the file as it was.
#include "engine/mariadb/persisted_fence.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

const char kConfig[] = "[mysqld]\nport = 3306\nread_only = OFF\n[client]\nport = 3306\n";

TEST(PersistedFenceTest, TheBlockComesLastAndSetsReadOnly) {
  std::string fenced = WithFenceBlock(kConfig);
  EXPECT_TRUE(HasFenceBlock(fenced));
  EXPECT_EQ(fenced.rfind("read_only = ON"), fenced.find("read_only = ON"));
  EXPECT_GT(fenced.find("read_only = ON"), fenced.find("[client]"));
  EXPECT_EQ(fenced.substr(0, sizeof(kConfig) - 1), kConfig);
}

TEST(PersistedFenceTest, AddingTwiceAddsOnce) {
  std::string once = WithFenceBlock(kConfig);
  EXPECT_EQ(WithFenceBlock(once), once);
}

TEST(PersistedFenceTest, RemovalRestoresTheFileExactly) {
  EXPECT_EQ(WithoutFenceBlock(WithFenceBlock(kConfig)), kConfig);
  EXPECT_EQ(WithoutFenceBlock(kConfig), kConfig);
  EXPECT_FALSE(HasFenceBlock(kConfig));
}

TEST(PersistedFenceTest, AFileWithoutFinalNewlineGetsOneBeforeTheBlock) {
  std::string fenced = WithFenceBlock("[mysqld]\nport = 1");
  EXPECT_NE(fenced.find("port = 1\n# hasteward"), std::string::npos) << fenced;
}

}  // namespace
}  // namespace hasteward::engine::mariadb
