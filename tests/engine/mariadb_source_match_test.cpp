// A MariaDB replica's source is matched to an instance by host and port: on plain hosts and on
// Kubernetes every server listens on 3306, so the port alone would name the first instance
// whatever the replicas follow (the failover would fence the wrong one, a switchover would accept
// a replica of another source).
#include <gtest/gtest.h>

#include "engine/mariadb/failover_checks.h"
#include "engine/mariadb/replication_source.h"
#include "engine/mariadb/switchover_checks.h"
#include "platform/peer_address.h"

namespace hasteward::engine::mariadb {
// Its own namespace: helper names recur in other test files (unity batches).
namespace source_match_test {
namespace {

platform::Instance Host(const std::string& name, const std::string& host, int port = 3306) {
  platform::Instance instance;
  instance.name = name;
  instance.host = host;
  instance.port = port;
  return instance;
}

SqlRows ReplicaOf(const std::string& host, const std::string& port) {
  SqlRows rows;
  rows.columns = {"Master_Host",       "Master_Port",    "Slave_IO_Running",
                  "Slave_SQL_Running", "Last_SQL_Errno", "Seconds_Behind_Master"};
  rows.rows.push_back({host, port, "Yes", "Yes", "0", "0"});
  return rows;
}

InstanceProbe Replica(const platform::Instance& instance, const std::string& host,
                      const std::string& port, const std::string& position) {
  InstanceProbe probe;
  probe.instance = &instance;
  probe.read_only = true;
  probe.replication = ReplicaOf(host, port);
  probe.vars["gtid_current_pos"] = position;
  return probe;
}

TEST(MariadbSourceMatchTest, SamePortOnEveryHostIsToldApartByTheHost) {
  const platform::Instance db1 = Host("db1", "10.0.0.1");
  const platform::Instance db3 = Host("db3", "10.0.0.3");
  const SqlRows rows = ReplicaOf("10.0.0.3", "3306");
  EXPECT_FALSE(ReplicatesFrom(rows, 0, db1));
  EXPECT_TRUE(ReplicatesFrom(rows, 0, db3));
  EXPECT_EQ(SourceAddress(rows, 0), "10.0.0.3:3306");
}

TEST(MariadbSourceMatchTest, AnOperatorsDnsNameUnderThePodNameIsThePod) {
  platform::Instance pod = Host("mdb-1", "127.0.0.1", 41234);  // reached through a port-forward
  platform::SetPeerAddress(pod, "10.244.0.12", 3306);
  EXPECT_TRUE(ReplicatesFrom(ReplicaOf("mdb-1.mdb-internal.db.svc.cluster.local", "3306"), 0, pod));
  EXPECT_TRUE(ReplicatesFrom(ReplicaOf("10.244.0.12", "3306"), 0, pod));
  EXPECT_FALSE(ReplicatesFrom(ReplicaOf("mdb-10.mdb-internal", "3306"), 0, pod))
      << "a name that only starts like the pod's is another pod";
  EXPECT_FALSE(ReplicatesFrom(ReplicaOf("127.0.0.1", "41234"), 0, pod))
      << "this process's port-forward is nobody's source";
  EXPECT_FALSE(ReplicatesFrom(ReplicaOf("10.244.0.12", "3307"), 0, pod));
  EXPECT_FALSE(ReplicatesFrom(ReplicaOf("10.244.0.12", "33o6"), 0, pod));
}

TEST(MariadbSourceMatchTest, LoopbackNamesMatchALoopbackInstanceByPort) {
  const platform::Instance sandbox = Host("s-0", "127.0.0.1", 3310);
  EXPECT_TRUE(ReplicatesFrom(ReplicaOf("localhost", "3310"), 0, sandbox));
  EXPECT_FALSE(ReplicatesFrom(ReplicaOf("localhost", "3311"), 0, sandbox));
  EXPECT_FALSE(ReplicatesFrom(ReplicaOf("localhost", "3306"), 0, Host("db1", "10.0.0.1")));
}

// The primary db3 (the last instance) is down; db1 and db2 replicate from it, all on port 3306.
TEST(MariadbSourceMatchTest, FailoverTellsTheOldPrimaryByItsHostNotTheFirstInstanceOnItsPort) {
  const platform::Instance db1 = Host("db1", "10.0.0.1");
  const platform::Instance db2 = Host("db2", "10.0.0.2");
  const platform::Instance db3 = Host("db3", "10.0.0.3");
  std::vector<InstanceProbe> probes;
  probes.push_back(Replica(db1, "10.0.0.3", "3306", "0-1-10"));
  probes.push_back(Replica(db2, "10.0.0.3", "3306", "0-1-12"));
  InstanceProbe down;
  down.instance = &db3;
  down.status = core::Status(core::ErrorCode::kUnreachable, "connection refused");
  probes.push_back(down);
  platform::Cluster cluster;
  cluster.name = "c";
  auto topology = CheckFailover(cluster, probes, "", false);
  ASSERT_TRUE(topology.ok()) << topology.status().ToString();
  EXPECT_EQ(topology->old_primary, &db3);
  EXPECT_EQ(topology->candidate->instance, &db2) << "the most advanced replica";
}

TEST(MariadbSourceMatchTest, ReplicasOfDifferentSourcesDoNotNameAnOldPrimary) {
  const platform::Instance db1 = Host("db1", "10.0.0.1");
  const platform::Instance db2 = Host("db2", "10.0.0.2");
  const platform::Instance db3 = Host("db3", "10.0.0.3");
  std::vector<InstanceProbe> probes;
  probes.push_back(Replica(db1, "10.0.0.3", "3306", "0-1-10"));
  probes.push_back(Replica(db2, "10.0.0.1", "3306", "0-1-10"));
  probes.push_back(Replica(db3, "10.0.0.2", "3306", "0-1-10"));
  platform::Cluster cluster;
  cluster.name = "c";
  auto topology = CheckFailover(cluster, probes, "", false);
  ASSERT_FALSE(topology.ok());
  EXPECT_EQ(topology.status().code(), core::ErrorCode::kSafetyStop);
}

TEST(MariadbSourceMatchTest, SwitchoverRefusesACandidateReplicatingFromAnotherHostOnTheSamePort) {
  const platform::Instance db1 = Host("db1", "10.0.0.1");
  const platform::Instance db2 = Host("db2", "10.0.0.2");
  InstanceProbe primary;
  primary.instance = &db1;
  primary.vars["gtid_binlog_pos"] = "0-1-10";
  SwitchoverTopology topology;
  const InstanceProbe elsewhere = Replica(db2, "10.0.0.9", "3306", "0-1-10");
  const core::Status refused = CheckCandidate(elsewhere, primary, &topology);
  EXPECT_EQ(refused.code(), core::ErrorCode::kSafetyStop) << refused.ToString();
  EXPECT_NE(refused.message().find("10.0.0.9:3306"), std::string::npos) << refused.message();
  const InstanceProbe follower = Replica(db2, "10.0.0.1", "3306", "0-1-10");
  EXPECT_TRUE(CheckCandidate(follower, primary, &topology).ok());
}

}  // namespace
}  // namespace source_match_test
}  // namespace hasteward::engine::mariadb
