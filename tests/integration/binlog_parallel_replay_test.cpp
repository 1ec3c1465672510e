// A MariaDB point-in-time restore replays the archived binlogs through the server's parallel
// replication applier, on a real replication sandbox: several archived binlog files (the archive
// spans FLUSH BINARY LOGS), replayed into the instance that wrote them (its own server id is on
// every event, which the applier would skip), stop exactly at the target (the row committed
// just before it is there, the one just after is not, the GTID position is the one after the
// last row before it), and leave no replication connection, relay log or changed setting behind;
// also on a server without relay_log set, whose relay log name must be found out first.
#include <chrono>
#include <ctime>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"
#include "support/story_cluster.h"

namespace hasteward::testing {
namespace {

using platform::EngineKind;

// The current second as RFC 3339, with a pause on both sides: binlog times are whole seconds.
std::string MarkTime() {
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  return text;
}

// How the replayed server names its relay logs.
enum class RelayLogNaming {
  kConfigured,  // relay_log set (the sandbox's own configuration)
  kDefault,     // relay_log unset: "<host>-relay-bin", which the server reports nowhere
};

void ReplayStory(RelayLogNaming naming, const std::string& ns) {
  auto story = StoryCluster::Start({.engine = EngineKind::kMariadb,
                                    .instances = 2,
                                    .replication_mode = "async",
                                    .name = "",
                                    .ns = ns},
                                   "hs-binlog-par-");
  ASSERT_TRUE(story.ok()) << story.status().ToString();
  StoryCluster& sc = **story;
  const std::string name = sc.sandbox().cluster().name;
  auto on = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {args.front(), "-e", "mariadb", "-c", name, "-n", ns};
    all.insert(all.end(), args.begin() + 1, args.end());
    return sc.env().Run(all);
  };
  sc.Sql(0, "CREATE DATABASE par; CREATE TABLE par.t (id INT PRIMARY KEY, note VARCHAR(20))");
  ASSERT_EQ(on({"backup", "--method", "native"}).exit_code, 0);
  // Three binlog files after the base, with many small transactions the workers can share.
  for (int file = 0; file < 3; ++file) {
    for (int row = 0; row < 50; ++row) {
      sc.Sql(0, "INSERT INTO par.t VALUES (" + std::to_string(file * 100 + row) + ", 'bulk')");
    }
    sc.Sql(0, "FLUSH BINARY LOGS");
  }
  sc.Sql(0, "INSERT INTO par.t VALUES (1000, 'just before')");
  std::string before_target = sc.Sql(0, "SELECT @@gtid_binlog_pos");
  std::string target = MarkTime();
  sc.Sql(0, "INSERT INTO par.t VALUES (1001, 'just after')");
  ASSERT_EQ(on({"archive", "binlog"}).exit_code, 0);
  ASSERT_EQ(sc.env().Run({"instance", "stop", "-c", name, "-n", ns, "-i", "0"}).exit_code, 0);
  const std::string data_dir = sc.sandbox().instance(0).data_dir;
  if (naming == RelayLogNaming::kDefault) {
    const std::string config = data_dir + "/../my.cnf";
    ASSERT_EQ(RunCommand({"sed", "-i", "/^relay_log *=/d", config}).exit_code, 0);
    ASSERT_EQ(RunCommand({"grep", "-c", "relay_log", config}).out, "0\n");
  }

  // The stopped primary's GTID position cannot be read: consent, its data directory kept.
  auto restored = on({"restore", "--until", target, "--yes", "--confirm-rewind"});

  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.out.find("(parallel applier, 8 threads"), std::string::npos) << restored.out;
  EXPECT_NE(restored.err.find("relay_logs=4"), std::string::npos) << restored.err;
  EXPECT_EQ(restored.err.find("relay_log is not set") != std::string::npos,
            naming == RelayLogNaming::kDefault)
      << restored.err;
  EXPECT_EQ(sc.Sql(0, "SELECT COUNT(*) FROM par.t WHERE note = 'bulk'"), "150");
  EXPECT_EQ(sc.Sql(0, "SELECT COUNT(*) FROM par.t WHERE id = 1000"), "1");
  EXPECT_EQ(sc.Sql(0, "SELECT COUNT(*) FROM par.t WHERE id = 1001"), "0");
  EXPECT_EQ(sc.Sql(0, "SELECT @@gtid_binlog_pos"), before_target);
  // Nothing of the replay is left: no connection, the server's own id and settings.
  EXPECT_EQ(sc.Sql(0, "SHOW ALL SLAVES STATUS"), "");
  EXPECT_EQ(RunCommand({"sh", "-c", "ls '" + data_dir + "' | grep -c relay"}).out, "0\n")
      << "no relay log, index or connection file left";
  EXPECT_EQ(sc.Sql(0,
                   "SELECT CONCAT(@@server_id, ' ', @@slave_parallel_threads, ' ', "
                   "@@slave_ddl_exec_mode)"),
            "1 0 IDEMPOTENT");
  // The replica, rebuilt from the replayed primary, follows it.
  core::PollUntil([&] { return sc.Sql(1, "SELECT COUNT(*) FROM par.t") == "151"; },
                  std::chrono::seconds(10), std::chrono::milliseconds(100));
  EXPECT_EQ(sc.Sql(1, "SELECT COUNT(*) FROM par.t"), "151");
}

TEST(BinlogParallelReplayTest, ReplaysSeveralFilesThroughTheAppliersWorkersToExactlyTheTarget) {
  ReplayStory(RelayLogNaming::kConfigured, "bpr");
}

// Without relay_log the server names its relay logs after the host and reports no name: the
// replay learns it from a connection it makes and removes again.
TEST(BinlogParallelReplayTest, AServerWithoutARelayLogSettingReplaysUnderItsDefaultRelayLogName) {
  ReplayStory(RelayLogNaming::kDefault, "bpd");
}

}  // namespace
}  // namespace hasteward::testing
