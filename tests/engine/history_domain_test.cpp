// The GTID domain a restore's new history starts in: one above every domain named by the backup,
// the instances and the repository, so no GTID of an abandoned history is written again.
#include "engine/mariadb/history_domain.h"

#include <limits>

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

TEST(HistoryDomainsTest, OneAboveTheHighestDomainOfEveryPositionAndSetting) {
  HistoryDomains domains;
  domains.AddPosition("0-1-42");
  EXPECT_EQ(*domains.Next(), 1u);
  domains.AddPosition("0-1-60,2-1-7, 1-2-3");
  domains.AddDomainText("1");
  EXPECT_EQ(*domains.highest(), 2u);
  EXPECT_EQ(*domains.Next(), 3u);
  domains.AddDomain(9);
  EXPECT_EQ(*domains.Next(), 10u);
}

TEST(HistoryDomainsTest, NothingKnownStartsAtDomainOneAndNonsenseIsIgnored) {
  HistoryDomains domains;
  EXPECT_EQ(*domains.Next(), 1u);
  domains.AddPosition("");
  domains.AddPosition("x-1-2");
  domains.AddDomainText("");
  domains.AddDomainText("-3");
  domains.AddDomainText("4a");
  EXPECT_FALSE(domains.highest().has_value());
}

TEST(HistoryDomainsTest, NoDomainAboveTheLastIsASafetyStop) {
  HistoryDomains domains;
  domains.AddDomain(std::numeric_limits<uint32_t>::max());
  auto next = domains.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), core::ErrorCode::kSafetyStop);
}

}  // namespace
}  // namespace hasteward::engine::mariadb
