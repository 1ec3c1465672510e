#include "engine/mariadb/session_server_id_filter.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

TEST(SessionServerIdFilterTest, DropsOnlyTheSessionServerIdStatements) {
  SessionServerIdFilter filter;
  std::string out = filter.Feed(
      "/*M!100001 SET @@session.gtid_domain_id=1*//*!*/;\n"
      "/*M!100001 SET @@session.server_id=1*//*!*/;\n"
      "/*M!100001 SET @@session.gtid_seq_no=12*//*!*/;\n"
      "# server_id=1 in a comment stays\n");
  EXPECT_EQ(out,
            "/*M!100001 SET @@session.gtid_domain_id=1*//*!*/;\n"
            "/*M!100001 SET @@session.gtid_seq_no=12*//*!*/;\n"
            "# server_id=1 in a comment stays\n");
  EXPECT_EQ(filter.Finish(), "");
}

TEST(SessionServerIdFilterTest, ALineCutBetweenReadsIsJudgedWhole) {
  SessionServerIdFilter filter;
  std::string out = filter.Feed("BEGIN\n/*M!100001 SET @@sess");
  out += filter.Feed("ion.server_id=2*//*!*/;\nCOMMIT\n# End of log");
  out += filter.Feed(" file");
  out += filter.Finish();
  EXPECT_EQ(out, "BEGIN\nCOMMIT\n# End of log file");
}

// The last transaction of a Galera replay: its sequence number given as wsrep_gtid_seq_no, so the
// node's wsrep GTID counter moves to it.
TEST(SessionServerIdFilterTest, NumberedByTheNodeTheSequenceNumberBecomesTheWsrepOne) {
  SessionServerIdFilter filter(SessionServerIdFilter::Numbering::kByTheNode);
  std::string out = filter.Feed(
      "/*M!100001 SET @@session.gtid_domain_id=1*//*!*/;\n"
      "/*M!100001 SET @@session.server_id=1*//*!*/;\n"
      "/*M!100001 SET @@session.gtid_seq_no=12*//*!*/;\n");
  EXPECT_EQ(out,
            "/*M!100001 SET @@session.gtid_domain_id=1*//*!*/;\n"
            "/*M!100001 SET @@session.wsrep_gtid_seq_no=12*//*!*/;\n");
}

}  // namespace
}  // namespace hasteward::engine::mariadb
