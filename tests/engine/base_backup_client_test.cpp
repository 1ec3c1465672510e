// BaseBackupClient against a real PostgreSQL 15 sandbox: one sandbox for the whole story (a
// wrong password, a whole backup, a backup stopped by a signal), since each case is seconds of
// server time and the sandbox start is most of the cost.
#include "engine/postgres/base_backup_client.h"

#include <csignal>
#include <set>

#include <gtest/gtest.h>

#include "core/stop_signal.h"
#include "core/tar_reader.h"
#include "engine_sandbox.h"

namespace hasteward::engine::postgres {
namespace {

PgConnectParams ReplicationParams(const platform::Cluster& cluster) {
  const platform::Instance& instance = cluster.instances.front();
  PgConnectParams params;
  params.host = instance.host.empty() ? instance.socket : instance.host;
  params.port = instance.port;
  params.user = cluster.replication.user;
  auto password = cluster.replication.password.Resolve();
  EXPECT_TRUE(password.ok()) << password.status().ToString();
  params.password = password.ok() ? *password : "";
  params.display_name = instance.name;
  return params;
}

TEST(BaseBackupClientTest, StreamsTheArchiveThenTheManifestAndStopsOnASignal) {
  auto sandbox = EngineSandbox::Up(platform::EngineKind::kPostgres, 1, "bbclient");
  ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
  const platform::Cluster& cluster = (*sandbox)->cluster();

  // A wrong password is refused as such, before any backup starts.
  PgConnectParams wrong = ReplicationParams(cluster);
  wrong.password = "not-the-password";
  auto refused = BaseBackupClient::Connect(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kAuthFailed) << refused.status().ToString();
  EXPECT_EQ(refused.status().ToString().find("not-the-password"), std::string::npos);

  // A whole backup: the archive's members (with the WAL it needs), then the manifest and the end
  // position once the archive is drained.
  auto client = BaseBackupClient::Connect(ReplicationParams(cluster));
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_GE((*client)->server_version(), BaseBackupClient::kMinServerVersion);
  ASSERT_TRUE((*client)->Start("client test").ok());
  EXPECT_FALSE((*client)->TakeManifest().has_value()) << "no manifest before the archive ends";
  core::TarReader reader(**client);
  std::set<std::string> members;
  bool has_wal_segment = false;
  for (;;) {
    auto entry = reader.Next();
    ASSERT_TRUE(entry.ok()) << entry.status().ToString();
    if (!*entry) {
      break;
    }
    members.insert((*entry)->path);
    has_wal_segment |= (*entry)->path.rfind("pg_wal/0000", 0) == 0;
  }
  for (const char* expected : {"backup_label", "global/pg_control", "PG_VERSION"}) {
    EXPECT_TRUE(members.count(expected)) << expected;
  }
  EXPECT_FALSE(members.count("backup_manifest")) << "the protocol sends it beside the archive";
  EXPECT_TRUE(has_wal_segment) << "WAL true puts the backup's segments into the archive";
  auto manifest = (*client)->TakeManifest();
  ASSERT_TRUE(manifest.has_value());
  EXPECT_NE(manifest->find("\"PostgreSQL-Backup-Manifest-Version\""), std::string::npos);
  EXPECT_NE(manifest->find("\"WAL-Ranges\""), std::string::npos);
  EXPECT_FALSE((*client)->stop_lsn().empty());
  EXPECT_FALSE((*client)->TakeManifest().has_value()) << "the manifest is handed over once";

  // A stop signal in mid-stream: the next wait for the server returns it, not end of stream.
  auto stopped = BaseBackupClient::Connect(ReplicationParams(cluster));
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  ASSERT_TRUE((*stopped)->Start("stopped test").ok());
  std::vector<uint8_t> buffer(size_t{64} * 1024);
  ASSERT_TRUE((*stopped)->Read(buffer).ok());
  core::SetStopSignalForTest(SIGTERM);
  core::Status failure;
  for (;;) {
    auto n = (*stopped)->Read(buffer);
    if (!n.ok()) {
      failure = n.TakeStatus();
      break;
    }
    ASSERT_NE(*n, 0U) << "a stopped backup must not end as a whole one";
  }
  core::SetStopSignalForTest(0);
  EXPECT_EQ(failure.code(), core::ErrorCode::kTerminated) << failure.ToString();
}

}  // namespace
}  // namespace hasteward::engine::postgres
