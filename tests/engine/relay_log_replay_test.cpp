#include "engine/mariadb/relay_log_replay.h"

#include <gtest/gtest.h>

namespace hasteward::engine::mariadb {
namespace {

// The variables of a server the applier can replay on, as kRelayReplayVariablesSql reports them.
SqlRows Eligible() {
  SqlRows rows;
  rows.columns = {"log_bin", "log_slave_updates", "slave_skip_errors", "replicate_filters",
                  "replicate_events_marked_for_skip"};
  rows.rows = {{"1", "1", "OFF", "", "REPLICATE"}};
  return rows;
}

SqlRows With(const std::string& column, const std::string& value) {
  SqlRows rows = Eligible();
  for (size_t index = 0; index < rows.columns.size(); ++index) {
    if (rows.columns[index] == column) {
      rows.rows[0][index] = value;
    }
  }
  return rows;
}

TEST(RelayLogReplayTest, AcceptsAPrimaryThatLogsWhatItApplies) {
  EXPECT_EQ(ParallelReplayRefusal(Eligible(), false), "");
}

TEST(RelayLogReplayTest, RefusesWhenTheReplayWouldMissTheBinlog) {
  EXPECT_NE(ParallelReplayRefusal(With("log_slave_updates", "0"), false).find("log_slave_updates"),
            std::string::npos);
  EXPECT_NE(ParallelReplayRefusal(With("log_bin", "0"), false), "");
}

TEST(RelayLogReplayTest, RefusesSettingsThatWouldSkipTransactions) {
  EXPECT_NE(ParallelReplayRefusal(With("replicate_filters", "app.audit"), false).find("filters"),
            std::string::npos);
  EXPECT_NE(ParallelReplayRefusal(With("slave_skip_errors", "1062"), false), "");
  EXPECT_NE(
      ParallelReplayRefusal(With("replicate_events_marked_for_skip", "FILTER_ON_MASTER"), false),
      "");
}

TEST(RelayLogReplayTest, RefusesAnInstanceThatReplicatesOrDidNotAnswer) {
  EXPECT_NE(ParallelReplayRefusal(Eligible(), true), "");
  EXPECT_NE(ParallelReplayRefusal(SqlRows{}, false), "");
}

}  // namespace
}  // namespace hasteward::engine::mariadb
