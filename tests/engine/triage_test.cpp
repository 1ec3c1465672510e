#include "engine/triage.h"

#include <gtest/gtest.h>

#include "engine/galera/triage.h"
#include "engine/mariadb/triage.h"
#include "engine/postgres/triage.h"

namespace hasteward::engine {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace triage_test {
namespace {

InstanceHealth Node(const std::string& name, InstanceState state, InstanceRole role, bool writable,
                    std::map<std::string, std::string> facts = {}) {
  InstanceHealth h;
  h.instance.name = name;
  h.state = state;
  h.role = role;
  h.writable = writable;
  h.facts = std::move(facts);
  return h;
}

bool Mentions(const std::vector<Finding>& findings, const std::string& text) {
  for (const auto& f : findings) {
    if (f.message.find(text) != std::string::npos)
      return true;
  }
  return false;
}

TEST(TriageTest, VerdictsMapToDocumentedExitCodes) {
  EXPECT_EQ(VerdictExitCode(Verdict::kHealthy), core::ErrorCode::kOk);
  EXPECT_EQ(VerdictExitCode(Verdict::kDegraded), core::ErrorCode::kHealthDegraded);
  EXPECT_EQ(VerdictExitCode(Verdict::kSplitBrain), core::ErrorCode::kSplitBrain);
  EXPECT_STREQ(VerdictName(Verdict::kSplitBrain), "split-brain");
}

TEST(PostgresTriageTest, PrimaryAndStreamingStandbyAreHealthy) {
  std::vector<Finding> f;
  auto v = postgres::PostgresVerdict(
      {Node("pg-0", InstanceState::kHealthy, InstanceRole::kPrimary, true, {{"timeline", "1"}}),
       Node("pg-1", InstanceState::kHealthy, InstanceRole::kStandby, false, {{"timeline", "1"}})},
      &f);
  EXPECT_EQ(v, Verdict::kHealthy);
  EXPECT_TRUE(f.empty());
}

TEST(PostgresTriageTest, TwoWritablePrimariesAreSplitBrain) {
  std::vector<Finding> f;
  auto v = postgres::PostgresVerdict(
      {Node("pg-0", InstanceState::kHealthy, InstanceRole::kPrimary, true),
       Node("pg-1", InstanceState::kHealthy, InstanceRole::kPrimary, true)},
      &f);
  EXPECT_EQ(v, Verdict::kSplitBrain);
  EXPECT_TRUE(Mentions(f, "'pg-0', 'pg-1'"));
}

TEST(PostgresTriageTest, StandbyOnLaterTimelineIsSplitBrain) {
  std::vector<Finding> f;
  auto v = postgres::PostgresVerdict(
      {Node("pg-0", InstanceState::kHealthy, InstanceRole::kPrimary, true, {{"timeline", "1"}}),
       Node("pg-1", InstanceState::kDegraded, InstanceRole::kStandby, false, {{"timeline", "2"}})},
      &f);
  EXPECT_EQ(v, Verdict::kSplitBrain);
  EXPECT_TRUE(Mentions(f, "forked"));
}

// A primary promoted moments ago has not checkpointed on its new timeline yet: its control file
// still names the one before its promotion, while a standby's latest restartpoint may already be
// on a newer one it replayed. Its WAL's timeline is the current one: no fork.
TEST(PostgresTriageTest, APrimaryNotCheckpointedSinceItsPromotionIsJudgedByItsWalTimeline) {
  std::vector<Finding> f;
  auto v = postgres::PostgresVerdict(
      {Node("pg-0", InstanceState::kHealthy, InstanceRole::kPrimary, true,
            {{"timeline", "5"}, {"sql_timeline", "8"}}),
       Node("pg-1", InstanceState::kHealthy, InstanceRole::kStandby, false, {{"timeline", "7"}})},
      &f);
  EXPECT_EQ(v, Verdict::kHealthy);
  EXPECT_FALSE(Mentions(f, "forked"));
}

TEST(PostgresTriageTest, UnreadableInstanceIsUnknownAndDegradedNeverMissing) {
  std::vector<Finding> f;
  auto unknown = Node("pg-1", InstanceState::kUnknown, InstanceRole::kUnknown, false);
  unknown.error = "timeout expired";
  auto v = postgres::PostgresVerdict(
      {Node("pg-0", InstanceState::kHealthy, InstanceRole::kPrimary, true), unknown}, &f);
  EXPECT_EQ(v, Verdict::kDegraded);
  EXPECT_TRUE(Mentions(f, "UNKNOWN"));
  EXPECT_FALSE(Mentions(f, "missing"));
}

TEST(PostgresTriageTest, NoPrimaryAndFullDiskAreDegraded) {
  std::vector<Finding> f;
  auto v = postgres::PostgresVerdict(
      {Node("pg-0", InstanceState::kStopped, InstanceRole::kUnknown, false),
       Node("pg-1", InstanceState::kHealthy, InstanceRole::kStandby, false,
            {{"disk_used_pct", "97"}})},
      &f);
  EXPECT_EQ(v, Verdict::kDegraded);
  EXPECT_TRUE(Mentions(f, "no writable primary"));
  EXPECT_TRUE(Mentions(f, "97% full"));
}

TEST(PostgresTriageTest, ParsesControlData) {
  auto cd = postgres::ParseControlData(
      "Database cluster state:               in production\n"
      "Latest checkpoint's TimeLineID:       3\n");
  EXPECT_EQ(cd["Database cluster state"], "in production");
  EXPECT_EQ(cd["Latest checkpoint's TimeLineID"], "3");
}

TEST(MariadbTriageTest, ErrantGtidsAreThoseThePrimaryLacks) {
  EXPECT_EQ(mariadb::ErrantGtids("0-1-10", "0-1-12"), "");
  EXPECT_EQ(mariadb::ErrantGtids("0-1-10", "0-1-10"), "");
  EXPECT_EQ(mariadb::ErrantGtids("0-2-11", "0-1-10"), "0-2-11");
  EXPECT_EQ(mariadb::ErrantGtids("0-1-10,5-3-1", "0-1-10"), "5-3-1");
  EXPECT_EQ(mariadb::ParseGtidList("0-1-10, 1-2-3").size(), 2u);
  EXPECT_TRUE(mariadb::ParseGtidList("").empty());
  // A Galera node's binlog state, sorted by server id as a Gtid_list reads: the domain stands at
  // its highest sequence number, not at the last server's.
  auto state = mariadb::ParseGtidList("1-1-12,1-2-4752,1-4294967295-4749");
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[1], (std::pair<long, long>{2, 4752}));
}

TEST(MariadbTriageTest, ErrantTransactionOnReplicaIsSplitBrain) {
  std::vector<Finding> f;
  auto v = mariadb::MariadbVerdict({Node("my-0", InstanceState::kHealthy, InstanceRole::kPrimary,
                                         true, {{"gtid_binlog_pos", "0-1-10"}}),
                                    Node("my-1", InstanceState::kHealthy, InstanceRole::kReplica,
                                         false, {{"gtid_current_pos", "0-2-11"}})},
                                   &f);
  EXPECT_EQ(v, Verdict::kSplitBrain);
  EXPECT_TRUE(Mentions(f, "errant"));
}

TEST(MariadbTriageTest, LaggingReplicasOwnWriteIsErrant) {
  EXPECT_EQ(mariadb::LocalGtids("0-3-7", "0-1-6", "3"), "0-3-7");
  EXPECT_EQ(mariadb::LocalGtids("0-1-6", "0-1-6", "3"), "");
  EXPECT_EQ(mariadb::LocalGtids("0-3-7", "0-3-7", "3"), "");  // a former primary's own history
  std::vector<Finding> f;
  auto v =
      mariadb::MariadbVerdict({Node("my-0", InstanceState::kHealthy, InstanceRole::kPrimary, true,
                                    {{"gtid_binlog_pos", "0-1-900"}}),
                               Node("my-1", InstanceState::kHealthy, InstanceRole::kReplica, false,
                                    {{"gtid_current_pos", "0-3-7"},
                                     {"gtid_binlog_pos", "0-3-7"},
                                     {"gtid_slave_pos", "0-1-6"},
                                     {"server_id", "3"}})},
                              &f);
  EXPECT_EQ(v, Verdict::kSplitBrain);
}

TEST(MariadbTriageTest, TwoWritableInstancesAreSplitBrain) {
  std::vector<Finding> f;
  auto v =
      mariadb::MariadbVerdict({Node("my-0", InstanceState::kHealthy, InstanceRole::kPrimary, true),
                               Node("my-1", InstanceState::kHealthy, InstanceRole::kReplica, true)},
                              &f);
  EXPECT_EQ(v, Verdict::kSplitBrain);
}

TEST(MariadbTriageTest, BrokenReplicaAndSemiSyncFallbackAreDegraded) {
  std::vector<Finding> f;
  auto v = mariadb::MariadbVerdict(
      {Node("my-0", InstanceState::kHealthy, InstanceRole::kPrimary, true,
            {{"gtid_binlog_pos", "0-1-10"},
             {"rpl_semi_sync_master_enabled", "ON"},
             {"Rpl_semi_sync_master_status", "OFF"}}),
       Node("my-1", InstanceState::kDegraded, InstanceRole::kReplica, false,
            {{"gtid_current_pos", "0-1-9"}, {"replication_problem", "SQL thread not running"}})},
      &f);
  EXPECT_EQ(v, Verdict::kDegraded);
  EXPECT_TRUE(Mentions(f, "SQL thread"));
  EXPECT_TRUE(Mentions(f, "async"));
}

// After a failover the old primary comes back read-only (persisted fence) and replicates from no
// one: triage names it and marks it degraded, so `repair` rejoins it as a replica.
TEST(MariadbTriageTest, AFencedOldPrimaryIsNamedAndDegraded) {
  std::vector<InstanceHealth> nodes = {
      Node("my-0", InstanceState::kHealthy, InstanceRole::kPrimary, false,
           {{"gtid_binlog_pos", "0-1-10"}, {"persisted_fence", "read_only"}}),
      Node("my-1", InstanceState::kHealthy, InstanceRole::kPrimary, true,
           {{"gtid_binlog_pos", "0-2-11"}})};
  mariadb::MarkFencedOldPrimaries(&nodes);
  EXPECT_EQ(nodes[0].state, InstanceState::kDegraded);
  EXPECT_EQ(nodes[1].state, InstanceState::kHealthy);
  std::vector<Finding> f;
  EXPECT_EQ(mariadb::MariadbVerdict(nodes, &f), Verdict::kDegraded);
  EXPECT_TRUE(Mentions(f, "fenced old primary"));
}

// A failed-over old primary that committed after the promoted replica last received from it (a
// commit whose semi-sync acknowledgement never came) holds a GTID the new primary lacks: the
// histories forked, re-cloning it discards that commit, so the verdict is split-brain (repair
// --force). One whose last commit the new primary applied has forked nothing.
TEST(MariadbTriageTest, AFencedOldPrimaryWithACommitNobodyReceivedIsSplitBrain) {
  auto nodes = [](const std::string& applied_from_old) {
    std::vector<InstanceHealth> n = {
        Node("my-0", InstanceState::kHealthy, InstanceRole::kPrimary, false,
             {{"gtid_binlog_pos", "0-1-83"},
              {"gtid_slave_pos", ""},
              {"server_id", "1"},
              {"persisted_fence", "read_only"}}),
        Node("my-1", InstanceState::kHealthy, InstanceRole::kPrimary, true,
             {{"gtid_binlog_pos", "0-2-1430"},
              {"gtid_slave_pos", applied_from_old},
              {"server_id", "2"}})};
    mariadb::MarkFencedOldPrimaries(&n);
    return n;
  };
  std::vector<Finding> forked;
  EXPECT_EQ(mariadb::MariadbVerdict(nodes("0-1-82"), &forked), Verdict::kSplitBrain);
  EXPECT_TRUE(Mentions(forked, "holds transactions the primary lacks (0-1-83)"));
  std::vector<Finding> received;
  EXPECT_EQ(mariadb::MariadbVerdict(nodes("0-1-83"), &received), Verdict::kDegraded);
  EXPECT_TRUE(Mentions(received, "fenced old primary"));
  EXPECT_EQ(mariadb::UnreceivedLocalGtids(nodes("0-1-83")[0], nodes("0-1-83")[1]), "");
}

// Every instance answers, but the only primary is read-only (a switchover's fence that its undo
// could not lift): the clients cannot write, so the cluster is not healthy.
TEST(MariadbTriageTest, AReadOnlyPrimaryWithNoWritableInstanceIsDegraded) {
  std::vector<Finding> f;
  auto v = mariadb::MariadbVerdict({Node("my-0", InstanceState::kHealthy, InstanceRole::kPrimary,
                                         false, {{"gtid_binlog_pos", "0-1-10"}}),
                                    Node("my-1", InstanceState::kHealthy, InstanceRole::kReplica,
                                         false, {{"gtid_current_pos", "0-1-10"}})},
                                   &f);
  EXPECT_EQ(v, Verdict::kDegraded);
  EXPECT_TRUE(Mentions(f, "no writable instance"));
}

// A demoted primary that rejoined as a replica keeps the persisted read_only: nothing to report.
TEST(MariadbTriageTest, AFencedInstanceThatReplicatesIsNotReported) {
  std::vector<InstanceHealth> nodes = {
      Node("my-0", InstanceState::kHealthy, InstanceRole::kReplica, false,
           {{"gtid_current_pos", "0-2-11"}, {"persisted_fence", "read_only"}}),
      Node("my-1", InstanceState::kHealthy, InstanceRole::kPrimary, true,
           {{"gtid_binlog_pos", "0-2-11"}})};
  mariadb::MarkFencedOldPrimaries(&nodes);
  std::vector<Finding> f;
  EXPECT_EQ(mariadb::MariadbVerdict(nodes, &f), Verdict::kHealthy);
  EXPECT_FALSE(Mentions(f, "fenced"));
}

std::map<std::string, std::string> Wsrep(const std::string& uuid, const std::string& status,
                                         const std::string& conf = "3") {
  return {{"wsrep_cluster_state_uuid", uuid},
          {"wsrep_cluster_status", status},
          {"wsrep_cluster_conf_id", conf},
          {"wsrep_local_state_comment", "Synced"}};
}

TEST(GaleraTriageTest, AllSyncedIsHealthy) {
  std::vector<Finding> f;
  auto v = galera::GaleraVerdict({Node("g-0", InstanceState::kHealthy, InstanceRole::kGaleraNode,
                                       true, Wsrep("u1", "Primary")),
                                  Node("g-1", InstanceState::kHealthy, InstanceRole::kGaleraNode,
                                       true, Wsrep("u1", "Primary"))},
                                 &f);
  EXPECT_EQ(v, Verdict::kHealthy);
}

TEST(GaleraTriageTest, DifferentClusterUuidsAreSplitBrain) {
  std::vector<Finding> f;
  auto v = galera::GaleraVerdict({Node("g-0", InstanceState::kHealthy, InstanceRole::kGaleraNode,
                                       true, Wsrep("u1", "Primary")),
                                  Node("g-1", InstanceState::kHealthy, InstanceRole::kGaleraNode,
                                       true, Wsrep("u2", "Primary"))},
                                 &f);
  EXPECT_EQ(v, Verdict::kSplitBrain);
  EXPECT_TRUE(Mentions(f, "UUIDs"));
}

TEST(GaleraTriageTest, TwoPrimaryComponentsAreSplitBrain) {
  std::vector<Finding> f;
  auto v = galera::GaleraVerdict({Node("g-0", InstanceState::kHealthy, InstanceRole::kGaleraNode,
                                       true, Wsrep("u1", "Primary", "3")),
                                  Node("g-1", InstanceState::kHealthy, InstanceRole::kGaleraNode,
                                       true, Wsrep("u1", "Primary", "5"))},
                                 &f);
  EXPECT_EQ(v, Verdict::kSplitBrain);
}

TEST(GaleraTriageTest, NonPrimaryOrUnknownNodesAreDegraded) {
  std::vector<Finding> f;
  auto v = galera::GaleraVerdict(
      {Node("g-0", InstanceState::kHealthy, InstanceRole::kGaleraNode, true,
            Wsrep("u1", "Primary")),
       Node("g-1", InstanceState::kDegraded, InstanceRole::kGaleraNode, false,
            Wsrep("u1", "non-Primary")),
       Node("g-2", InstanceState::kUnknown, InstanceRole::kGaleraNode, false)},
      &f);
  EXPECT_EQ(v, Verdict::kDegraded);
  EXPECT_TRUE(Mentions(f, "UNKNOWN"));
  EXPECT_TRUE(Mentions(f, "non-Primary"));
}

TEST(GaleraTriageTest, ParsesGrastate) {
  auto gs = galera::ParseGrastate(
      "# GALERA saved state\nversion: 2.1\nuuid:    5ee99582-bb8d-11e2-b8e3-23de375c1d30\n"
      "seqno:   -1\nsafe_to_bootstrap: 0\n");
  EXPECT_EQ(gs["uuid"], "5ee99582-bb8d-11e2-b8e3-23de375c1d30");
  EXPECT_EQ(gs["seqno"], "-1");
  EXPECT_EQ(gs["safe_to_bootstrap"], "0");
}

}  // namespace
}  // namespace triage_test
}  // namespace hasteward::engine
