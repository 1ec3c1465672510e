// What other instances dial (replication sources) is an instance's peer address, never the
// address this process reaches it by: on kubernetes through the API server, host/port is a local
// port-forward that exists only in this process's network.
#include "platform/peer_address.h"

#include <gtest/gtest.h>

#include "engine/mariadb/repair.h"
#include "engine/postgres/server_state.h"
#include "engine/postgres/standby_follow.h"

namespace hasteward::engine {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace peer_address_test {
namespace {

// A pod reached through a port-forward: host/port local, the pod's address as the peer's.
platform::Instance ForwardedPod() {
  platform::Instance pod;
  pod.name = "pg-2";
  pod.host = "127.0.0.1";
  pod.port = 40123;
  platform::SetPeerAddress(pod, "10.244.1.7", 5432);
  pod.data_dir = "/var/lib/postgresql/data/pgdata";
  return pod;
}

TEST(PeerAddressTest, WithoutAPeerAddressItIsHostAndPort) {
  platform::Instance local;
  local.host = "127.0.0.1";
  local.port = 5433;
  EXPECT_EQ(platform::PeerHost(local), "127.0.0.1");
  EXPECT_EQ(platform::PeerPort(local), 5433);
}

TEST(PeerAddressTest, ASetPeerAddressIsReadBackAndClearedBackToHostAndPort) {
  platform::Instance pod = ForwardedPod();
  EXPECT_TRUE(platform::HasPeerAddress(pod));
  EXPECT_EQ(platform::PeerHost(pod), "10.244.1.7");
  EXPECT_EQ(platform::PeerPort(pod), 5432);
  platform::ClearPeerAddress(pod);
  EXPECT_FALSE(platform::HasPeerAddress(pod));
  EXPECT_EQ(platform::PeerHost(pod), "127.0.0.1");
  EXPECT_EQ(platform::PeerPort(pod), 40123);
}

TEST(PeerAddressTest, APeerPortLabelThatIsNoPortIsNoPeerAddress) {
  platform::Instance pod = ForwardedPod();
  pod.labels[platform::kPeerPortLabel] = "54x";
  EXPECT_FALSE(platform::HasPeerAddress(pod));
  EXPECT_EQ(platform::PeerPort(pod), 40123) << "never a half-parsed port";
}

TEST(PeerAddressTest, PrimaryConninfoNamesThePrimarysPodAddress) {
  platform::Cluster cluster;
  cluster.credentials.user = "postgres";
  platform::Instance standby = ForwardedPod();
  standby.name = "pg-1";
  const std::string conninfo = postgres::PrimaryConninfo(cluster, ForwardedPod(), standby);
  EXPECT_NE(conninfo.find("host='10.244.1.7' port=5432"), std::string::npos) << conninfo;
  EXPECT_EQ(conninfo.find("40123"), std::string::npos) << conninfo;
}

TEST(PeerAddressTest, ChangeMasterNamesThePrimarysPodAddress) {
  const std::string sql = mariadb::ChangeMasterSql(ForwardedPod(), "repl", "pw");
  EXPECT_NE(sql.find("MASTER_HOST='10.244.1.7', MASTER_PORT=5432"), std::string::npos) << sql;
}

TEST(PeerAddressTest, ChangeMasterNamesAStableHostWhereThePlatformGivesOne) {
  platform::Instance pod = ForwardedPod();
  pod.labels[platform::kStableHostLabel] = "pg-2.pg-internal.db.svc";
  const std::string sql = mariadb::ChangeMasterSql(pod, "repl", "pw");
  EXPECT_NE(sql.find("MASTER_HOST='pg-2.pg-internal.db.svc', MASTER_PORT=5432"), std::string::npos)
      << sql;
  EXPECT_TRUE(platform::NamesInstance(pod, "pg-2.pg-internal.db.svc", 5432));
  EXPECT_TRUE(platform::NamesInstance(pod, "10.244.1.7", 5432)) << "the peer host still names it";
}

TEST(PeerAddressTest, AStandbyStreamingFromThePodAddressStreamsFromThePrimary) {
  postgres::ServerState standby;
  standby.in_recovery = true;
  standby.receiver_status = "streaming";
  standby.sender_host = "10.244.1.7";
  standby.sender_port = 5432;
  postgres::ServerState primary;
  EXPECT_TRUE(postgres::StreamsFrom(standby, ForwardedPod(), primary, ForwardedPod()));
}

}  // namespace
}  // namespace peer_address_test
}  // namespace hasteward::engine
