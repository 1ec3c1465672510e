// The fence block a failover writes into an old primary's config: added once, after everything
// (a later [mysqld] value wins), and removed exactly, leaving the rest of the file as it was.
#include "engine/mariadb/persisted_fence.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/mariadb/bypass_accounts.h"

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

// A switchover journals itself in the block: the notes read back in order, a block with other
// notes is replaced (never doubled), and the candidate of an interrupted switchover is found.
TEST(PersistedFenceTest, TheJournalReadsBackAndReplacesAnOlderOne) {
  std::vector<std::string> journal = {SwitchoverInProgressNote("db-1"),
                                      "revoked\taccount\tapp\t%\tREAD_ONLY ADMIN"};
  std::string fenced = WithFenceBlock(kConfig, journal);
  EXPECT_EQ(FenceNotes(fenced), journal);
  EXPECT_EQ(InterruptedSwitchoverCandidate(FenceNotes(fenced)), "db-1");
  std::string closed = WithFenceBlock(fenced);
  EXPECT_TRUE(FenceNotes(closed).empty());
  EXPECT_EQ(WithoutFenceBlock(closed), kConfig);
  EXPECT_EQ(InterruptedSwitchoverCandidate(FenceNotes(closed)), std::nullopt);
}

TEST(BypassAccountNoteTest, RoundTripsAnAccountAndARoleAndRefusesOtherLines) {
  BypassAccount account{
      .user = "app", .host = "%", .role = false, .privileges = {"READ_ONLY ADMIN", "SUPER"}};
  BypassAccount role{
      .user = "writers", .host = "", .role = true, .privileges = {"READ_ONLY ADMIN"}};
  for (const auto& a : {account, role}) {
    auto back = BypassAccount::FromNote(a.Note());
    ASSERT_TRUE(back.has_value()) << a.Note();
    EXPECT_EQ(back->quoted(), a.quoted());
    EXPECT_EQ(back->privileges, a.privileges);
  }
  EXPECT_FALSE(BypassAccount::FromNote(SwitchoverInProgressNote("db-1")).has_value());
  EXPECT_FALSE(BypassAccount::FromNote("revoked\taccount\tapp").has_value());
}

}  // namespace
}  // namespace hasteward::engine::mariadb
