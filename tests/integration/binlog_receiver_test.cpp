// Recovery point zero (issue #52), MariaDB, end to end on the real binary: two sandbox sites
// sharing an S3 repository on Ceph RGW (support/standby_sites.h), a primary and a replica at the
// source. `hasteward archive binlog --sync` receives the primary's binlog as a semi-synchronous
// replica and makes it wait for the repository (AFTER_SYNC). A writer commits ids (only ids whose
// INSERT returned count); halfway the receiver alone is killed with kill -9 and started again (it
// resumes from the repository's end), then a switchover moves the writes to the replica (the
// receiver follows the new writer and makes it wait too); at a random moment (seed printed) the
// whole source site is killed with kill -9, both servers and the receiver, so the last
// acknowledged commits exist only as the receiver's pieces in the repository. A DR standby
// activated from the repository alone holds every acknowledged id.
#include <csignal>
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/subprocess.h"
#include "core/tcp_probe.h"
#include "support/command.h"
#include "support/fault_proxy.h"
#include "support/hasteward_env.h"
#include "support/mariadb_set_writer.h"
#include "support/receiver_sites.h"
#include "support/standby_sites.h"

namespace hasteward::testing {
namespace {

class BinlogReceiverTest : public ReceiverSitesTest {
 protected:
  void SetUp() override { StartSites(platform::EngineKind::kMariadb, "hs-binlog-receive-"); }

  void TearDown() override {
    if (writer_ != nullptr) {
      ReleaseCommits();
      writer_->Stop();
    }
    ReceiverSitesTest::TearDown();
  }

  std::string Sql(StandbySite& site, int ordinal, const std::string& sql) {
    auto rows = site.cluster->Sql(ordinal, sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString() << " for " << sql;
    return rows.ok() ? rows->substr(0, rows->find('\n')) : "";
  }

  // `hasteward archive binlog --sync --json` for the source, in the background.
  void StartReceiver(std::vector<std::string> extra = {}, const std::string& location = "") {
    ReceiverSitesTest::StartReceiver({"archive", "binlog", "--sync"}, extra, location);
  }

  // Instance `ordinal` waits for the receiver: semi-sync on, AFTER_SYNC, not fallen back, the
  // receiver connected.
  bool WaitsForTheReceiver(int ordinal) {
    return core::PollUntil(
        [&] {
          auto rows = Source().cluster->Sql(
              ordinal,
              "SELECT CONCAT(@@rpl_semi_sync_master_wait_point, ' ', VARIABLE_VALUE) FROM "
              "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
              "'Rpl_semi_sync_master_status'");
          auto clients = Source().cluster->Sql(
              ordinal,
              "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME "
              "= 'Rpl_semi_sync_master_clients'");
          last_seen_ = (rows.ok() ? *rows : rows.status().ToString()) + " clients " +
                       (clients.ok() ? *clients : clients.status().ToString());
          return rows.ok() && rows->rfind("AFTER_SYNC ON", 0) == 0 && clients.ok() &&
                 clients->rfind("1", 0) == 0;
        },
        std::chrono::seconds(90), std::chrono::milliseconds(200));
  }

  // A writer's commit may wait for the receiver: when the test stops early, the servers stop
  // waiting before the writer is joined.
  void ReleaseCommits() {
    for (int i = 0; i < 2; ++i) {
      if (core::TcpAccepts("127.0.0.1", Source().cluster->instance(i).port)) {
        (void)Source().cluster->Sql(i, "SET GLOBAL rpl_semi_sync_master_enabled = OFF");
      }
    }
  }

  MariadbSetWriter::Options WriterOptions() {
    const platform::Cluster& own = Source().cluster->cluster();
    auto password = core::ReadFileToString(own.credentials.password.file);
    EXPECT_TRUE(password.ok());
    MariadbSetWriter::Options options;
    for (int i = 0; i < 2; ++i) {
      options.endpoints.emplace_back("127.0.0.1", Source().cluster->instance(i).port);
    }
    options.user = own.credentials.user.empty() ? "root" : own.credentials.user;
    options.password = password.ok() ? password->substr(0, password->find('\n')) : "";
    options.table = "drill.ids";
    // The admin account bypasses read_only: it writes only where read_only is off, as an
    // application behind a proxy that routes by it.
    options.writable_only = true;
    return options;
  }

  void CreateTableAndBase() {
    Sql(Source(), 0,
        "CREATE DATABASE drill; CREATE TABLE drill.ids (seq BIGINT AUTO_INCREMENT PRIMARY KEY, "
        "id BIGINT NOT NULL)");
    auto backup = Source().Hs({"backup", "--method", "native", "--json"});
    ASSERT_EQ(backup.exit_code, 0) << backup.err;
  }

  // Kills the source site, activates the DR standby from the repository and checks that it holds
  // every id the writer saw acknowledged.
  void LoseTheSiteAndCheckTheDrSite(unsigned seed) {
    Kill9Source();
    writer_->Stop();
    const std::set<long> acknowledged = writer_->acknowledged();
    core::Status adopted = StandbySites::AdoptSourceCredentials(Source(), Dr());
    ASSERT_TRUE(adopted.ok()) << adopted.ToString();
    const std::string config =
        sites_->Declare(Dr(), Source(), "shop-dr", "  activation: {acceptUnverified: true}\n");
    auto activated = StandbySites::Activate(Dr(), config, "2026-11-28T10:00:00Z");
    ASSERT_EQ(activated.exit_code, 0) << activated.out << activated.err;
    auto ids = Dr().cluster->Sql(0, "SELECT id FROM drill.ids");
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    SetCheck check = CheckSet(acknowledged, *ids);
    EXPECT_EQ(check.lost, 0) << "seed " << seed << ": of " << check.acknowledged << " acknowledged";
    EXPECT_EQ(check.duplicated, 0);
    EXPECT_EQ(check.acknowledged, static_cast<long>(acknowledged.size()));
  }

  std::unique_ptr<MariadbSetWriter> writer_;
  std::string last_seen_;  // WaitsForTheReceiver's last reading
};

TEST_F(BinlogReceiverTest, EveryAcknowledgedCommitSurvivesTheLossOfTheWholeSite) {
  CreateTableAndBase();
  StartReceiver();
  ASSERT_TRUE(WaitsForTheReceiver(0)) << ReceiverErr();

  // bench/binlog_receiver_drill.sh runs the drill with the seeds it chooses.
  const char* given = std::getenv("HASTEWARD_DRILL_SEED");
  const unsigned seed =
      given != nullptr ? static_cast<unsigned>(std::stoul(given)) : std::random_device{}();
  std::mt19937 rng(seed);
  const long before_kill = 100 + static_cast<long>(rng() % 400);
  std::printf("seed %u: kill -9 after %ld more acknowledged commits (repository %s)\n", seed,
              before_kill,
              sites_->RepositoryLocation().rfind("s3:", 0) == 0 ? "Ceph RGW" : "local");
  writer_ = std::make_unique<MariadbSetWriter>(WriterOptions());
  writer_->Start();
  ASSERT_TRUE(writer_->WaitForAcknowledged(before_kill / 2, std::chrono::seconds(120)))
      << ReceiverErr();
  // kill -9 of the receiver alone: commits wait for it (at most the writer's timeout); a new one
  // continues from where the repository ends.
  KillReceiver();
  StartReceiver();
  ASSERT_TRUE(WaitsForTheReceiver(0)) << ReceiverErr();
  ASSERT_TRUE(writer_->WaitForAcknowledged(before_kill / 4, std::chrono::seconds(120)))
      << ReceiverErr();
  // A switchover under the writer: the receiver follows the new primary and makes it wait.
  auto switched = Source().Hs({"switchover", "--to", Source().cluster->instance(1).name});
  ASSERT_EQ(switched.exit_code, 0) << switched.out << switched.err;
  ASSERT_TRUE(WaitsForTheReceiver(1)) << last_seen_ << "\n" << ReceiverErr();
  ASSERT_TRUE(writer_->WaitForAcknowledged(before_kill - before_kill / 2 - before_kill / 4,
                                           std::chrono::seconds(120)))
      << ReceiverErr();

  LoseTheSiteAndCheckTheDrSite(seed);
}

// The repository refuses every request (a proxy answers 503) under the writer: its commits stall,
// then go on once the writer's own timeout (--fallback-after 3s) let it commit asynchronously;
// once the repository is back the receiver catches up and the writer waits for it again. After
// kill -9 of the whole site a DR standby still holds every acknowledged id: what was committed
// asynchronously was stored once the repository came back.
TEST_F(BinlogReceiverTest, ARepositoryOutageFallsBackWithinTheBoundAndLosesNothing) {
  CreateTableAndBase();
  const std::string proxied = ProxiedLocation();
  StartReceiver({"--fallback-after", "3s"}, proxied);
  ASSERT_TRUE(WaitsForTheReceiver(0)) << last_seen_ << "\n" << ReceiverErr();
  writer_ = std::make_unique<MariadbSetWriter>(WriterOptions());
  writer_->Start();
  ASSERT_TRUE(writer_->WaitForAcknowledged(50, std::chrono::seconds(60))) << ReceiverErr();

  proxy().SetFaultRate(1.0);
  // The writer falls back by itself once a commit waited 3 s.
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return Sql(Source(), 0,
                   "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                   "VARIABLE_NAME = 'Rpl_semi_sync_master_status'") == "OFF";
      },
      std::chrono::seconds(60)))
      << ReceiverErr();
  ASSERT_TRUE(writer_->WaitForAcknowledged(100, std::chrono::seconds(60))) << ReceiverErr();
  // The documented bound: --fallback-after (3 s) for the first commit that waited; the writer
  // commits asynchronously after it. Twice that for a loaded machine.
  std::printf("longest commit stall during the outage: %lld ms\n",
              static_cast<long long>(writer_->longest_gap().count()));
  EXPECT_LT(writer_->longest_gap(), std::chrono::seconds(6));
  EXPECT_TRUE(
      core::PollUntil([&] { return ReceiverErr().find("refuses stores") != std::string::npos; },
                      std::chrono::seconds(30)))
      << ReceiverErr();

  proxy().SetFaultRate(0.0);
  ASSERT_TRUE(WaitsForTheReceiver(0)) << last_seen_ << "\n" << ReceiverErr();
  ASSERT_TRUE(writer_->WaitForAcknowledged(50, std::chrono::seconds(60))) << ReceiverErr();
  LoseTheSiteAndCheckTheDrSite(0);
}

// The receiver hangs (SIGSTOP: what a partition between the writer and the receiver looks like
// from the writer) under the writer: commits stall for the writer's own timeout at most, then go
// on asynchronously; resumed (SIGCONT), the receiver catches up and the writer waits for it again;
// two binlog rotations follow; after kill -9 of the whole site a DR standby holds every
// acknowledged id.
TEST_F(BinlogReceiverTest, AHungReceiverStallsCommitsWithinTheWritersTimeoutAndLosesNothing) {
  CreateTableAndBase();
  StartReceiver({"--fallback-after", "3s"});
  ASSERT_TRUE(WaitsForTheReceiver(0)) << last_seen_ << "\n" << ReceiverErr();
  writer_ = std::make_unique<MariadbSetWriter>(WriterOptions());
  writer_->Start();
  ASSERT_TRUE(writer_->WaitForAcknowledged(50, std::chrono::seconds(60))) << ReceiverErr();

  receiver_->Signal(SIGSTOP);
  ASSERT_TRUE(core::PollUntil(
      [&] {
        return Sql(Source(), 0,
                   "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                   "VARIABLE_NAME = 'Rpl_semi_sync_master_status'") == "OFF";
      },
      std::chrono::seconds(60)));
  ASSERT_TRUE(writer_->WaitForAcknowledged(100, std::chrono::seconds(60)));
  std::printf("longest commit stall with the receiver hung: %lld ms\n",
              static_cast<long long>(writer_->longest_gap().count()));
  EXPECT_LT(writer_->longest_gap(), std::chrono::seconds(6));

  receiver_->Signal(SIGCONT);
  ASSERT_TRUE(WaitsForTheReceiver(0)) << last_seen_ << "\n" << ReceiverErr();
  ASSERT_TRUE(writer_->WaitForAcknowledged(50, std::chrono::seconds(60))) << ReceiverErr();
  // Two rotations under the writer: the receiver seals each file with its rotate event and goes on
  // from the next file's start, so the DR site's replay crosses both files.
  for (int rotation = 0; rotation < 2; ++rotation) {
    Sql(Source(), 0, "FLUSH BINARY LOGS");
    ASSERT_TRUE(writer_->WaitForAcknowledged(50, std::chrono::seconds(60))) << ReceiverErr();
  }
  LoseTheSiteAndCheckTheDrSite(0);
}

}  // namespace
}  // namespace hasteward::testing
