// Recovery point zero (issue #52), PostgreSQL, end to end on the real binary: two sandbox sites
// sharing an S3 repository on Ceph RGW (support/standby_sites.h). The source archives through
// wal-push and runs `hasteward wal-receive`; `archive enable --sync` makes the receiver its
// synchronous standby (refused while no receiver streams). A writer commits ids under
// synchronous_commit = on (only ids whose COMMIT returned count); at a random moment (seed
// printed) the whole source site is killed with kill -9, the instances and the receiver, so the
// last acknowledged commits exist only as the receiver's pieces in the repository (halfway, the
// receiver alone is killed and restarted: it resumes from its pieces; then a switchover: it
// follows the new primary's timeline). A DR standby activated
// from the repository alone holds every acknowledged id; served without the pieces (checked by
// hand, 2026-11-28) the same drill loses the last acknowledged ids.
#include <csignal>
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/subprocess.h"
#include "core/tcp_probe.h"
#include "support/command.h"
#include "support/fault_proxy.h"
#include "support/hasteward_env.h"
#include "support/postgres_set_writer.h"
#include "support/receiver_sites.h"
#include "support/standby_sites.h"

namespace hasteward::testing {
namespace {

class WalReceiverTest : public ReceiverSitesTest {
 protected:
  void SetUp() override { StartSites(platform::EngineKind::kPostgres, "hs-receive-"); }

  std::string Sql(StandbySite& site, const std::string& sql) {
    auto rows = site.cluster->Sql(0, sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString() << " for " << sql;
    return rows.ok() ? rows->substr(0, rows->find('\n')) : "";
  }

  // `archive enable` at the source with the server's own password and S3 credentials files; on a
  // local repository (root's) through the site's WAL agent.
  CmdResult ArchiveEnable(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"archive", "enable", "--password-file",
                                     sites_->PasswordFileFor(Source(), Source())};
    if (LocalRepository()) {
      args.insert(args.end(), {"--agent-socket", WalAgentSocket()});
    } else {
      args.insert(args.end(),
                  {"--s3-credentials-file", sites_->S3CredentialsFileFor(Source(), Source())});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return Source().Hs(args);
  }

  // `hasteward wal-receive --json` for the source, in the background.
  void StartReceiver(std::vector<std::string> extra = {}, const std::string& location = "") {
    ReceiverSitesTest::StartReceiver({"wal-receive"}, extra, location);
  }

  std::string NativeBackup(StandbySite& site) {
    auto run = site.Hs({"backup", "--method", "native", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto summary = nlohmann::json::parse(run.out.substr(run.out.rfind("{\"")), nullptr, false);
    return summary.is_object() ? summary.value("snapshot_id", "") : "";
  }

  // Kills the source site, activates the DR standby from the repository and checks that it holds
  // every id the writer saw acknowledged.
  void LoseTheSiteAndCheckTheDrSite(PostgresSetWriter& writer, unsigned seed) {
    Kill9Source();
    writer.Stop();
    const size_t acknowledged = writer.acknowledged();
    ASSERT_TRUE(StandbySites::ShareCredentials(Source(), Dr()).ok());
    std::string config =
        sites_->Declare(Dr(), Source(), "shop-dr", "  activation: {acceptUnverified: true}\n");
    auto activated = StandbySites::Activate(Dr(), config, "2026-11-28T10:00:00Z");
    ASSERT_EQ(activated.exit_code, 0) << activated.out << activated.err;
    auto outcome = writer.CheckOn(Dr().cluster->cluster(), 0);
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_EQ(outcome->lost, 0U) << "seed " << seed << ": first lost id " << outcome->first_lost
                                 << " of " << outcome->acknowledged << " acknowledged";
    EXPECT_EQ(outcome->duplicates, 0U);
    EXPECT_EQ(outcome->acknowledged, acknowledged);
    EXPECT_GE(outcome->present, acknowledged);
  }

  // Declared after a synchronous writer: if the test stops early, the primary stops waiting for
  // the receiver before the writer (whose commit may wait for it) is joined.
  struct ReleaseCommits {
    WalReceiverTest* test;
    ~ReleaseCommits() {
      if (core::TcpAccepts("127.0.0.1", test->Source().cluster->instance(0).port)) {
        (void)test->Source().cluster->Sql(0, "ALTER SYSTEM SET synchronous_standby_names = ''");
        (void)test->Source().cluster->Sql(0, "SELECT pg_reload_conf()");
      }
    }
  };
};

TEST_F(WalReceiverTest, EveryAcknowledgedCommitSurvivesTheLossOfTheWholeSite) {
  // archive enable --sync without a receiver: refused, and the server never waits for one.
  auto enabled = ArchiveEnable();
  ASSERT_EQ(enabled.exit_code, 0) << enabled.out << enabled.err;
  auto refused = ArchiveEnable({"--sync"});
  EXPECT_NE(refused.exit_code, 0) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("wal-receive"), std::string::npos) << refused.err;
  EXPECT_EQ(Sql(Source(), "SHOW synchronous_standby_names"), "");

  StartReceiver();
  auto synced = ArchiveEnable({"--sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.out << synced.err << ReceiverErr();
  EXPECT_EQ(Sql(Source(), "SHOW synchronous_standby_names"), "hasteward_receiver");
  ASSERT_FALSE(NativeBackup(Source()).empty());

  // bench/wal_receiver_drill.sh runs the drill with the seeds it chooses.
  const char* given = std::getenv("HASTEWARD_DRILL_SEED");
  const unsigned seed =
      given != nullptr ? static_cast<unsigned>(std::stoul(given)) : std::random_device{}();
  std::mt19937 rng(seed);
  const size_t before_kill = 100 + rng() % 400;
  std::printf("seed %u: kill -9 after %zu more acknowledged commits (repository %s)\n", seed,
              before_kill, LocalRepository() ? "local" : "Ceph RGW");
  auto writer = PostgresSetWriter::Start(
      {.cluster = Source().cluster->cluster(), .synchronous_commit = "on"});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ReleaseCommits release{this};
  ASSERT_TRUE((*writer)->WaitForMore(before_kill / 2, std::chrono::seconds(120)))
      << "acknowledged: " << (*writer)->acknowledged() << "\n"
      << ReceiverErr();
  // kill -9 of the receiver alone: commits wait for it; a new one resumes from its stored pieces
  // (the slot kept the WAL) and the commits go on.
  KillReceiver();
  StartReceiver();
  ASSERT_TRUE((*writer)->WaitForMore(before_kill / 4, std::chrono::seconds(120)))
      << "acknowledged: " << (*writer)->acknowledged() << "\n"
      << ReceiverErr();
  // A switchover under the writer: the receiver follows the new primary (timeline 2), which
  // `archive enable --sync` had already told to wait for it once promoted.
  auto switched = Source().Hs({"switchover", "--to", Source().cluster->instance(1).name});
  ASSERT_EQ(switched.exit_code, 0) << switched.out << switched.err;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        auto names = Source().cluster->Sql(1, "SHOW synchronous_standby_names");
        auto streaming = Source().cluster->Sql(
            1,
            "SELECT count(*) FROM pg_stat_replication WHERE application_name = "
            "'hasteward_receiver' AND state = 'streaming'");
        return names.ok() && names->rfind("hasteward_receiver", 0) == 0 && streaming.ok() &&
               streaming->rfind("1", 0) == 0;
      },
      std::chrono::seconds(60)))
      << ReceiverErr();
  ASSERT_TRUE((*writer)->WaitForMore(before_kill - before_kill / 2 - before_kill / 4,
                                     std::chrono::seconds(120)))
      << "acknowledged: " << (*writer)->acknowledged() << "\n"
      << ReceiverErr();
  LoseTheSiteAndCheckTheDrSite(**writer, seed);
}

// The repository refuses every request (a proxy answers 503) under a synchronous writer: the
// primary's commits stall, then go on once the receiver fell back (within --fallback-after plus
// one failed store, asserted with room for a loaded machine), synchronous_standby_names is empty
// meanwhile; once the repository is back the receiver catches up and names itself again. After
// kill -9 of the whole site a DR standby still holds every acknowledged id: what was committed
// asynchronously was stored once the repository came back.
TEST_F(WalReceiverTest, ARepositoryOutageFallsBackWithinTheBoundAndLosesNothing) {
  ASSERT_EQ(ArchiveEnable().exit_code, 0);
  // The receiver reaches the bucket through a proxy that can refuse everything.
  const std::string proxied = ProxiedLocation();
  StartReceiver({"--fallback-after", "3s"}, proxied);
  auto synced = ArchiveEnable({"--sync"});
  ASSERT_EQ(synced.exit_code, 0) << synced.out << synced.err << ReceiverErr();
  ASSERT_FALSE(NativeBackup(Source()).empty());
  auto writer = PostgresSetWriter::Start(
      {.cluster = Source().cluster->cluster(), .synchronous_commit = "on"});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ReleaseCommits release{this};
  ASSERT_TRUE((*writer)->WaitForMore(50, std::chrono::seconds(60))) << ReceiverErr();

  proxy().SetFaultRate(1.0);
  ASSERT_TRUE(
      core::PollUntil([&] { return Sql(Source(), "SHOW synchronous_standby_names").empty(); },
                      std::chrono::seconds(60)))
      << ReceiverErr();
  // The receiver logs its alert once its fallback finished (the setting is reloaded first).
  EXPECT_TRUE(core::PollUntil([&] { return ReceiverErr().find("ALERT") != std::string::npos; },
                              std::chrono::seconds(30)))
      << ReceiverErr();
  ASSERT_TRUE((*writer)->WaitForMore(100, std::chrono::seconds(60))) << ReceiverErr();
  // The documented bound: --fallback-after (3 s) + one failed store (its retries end within 3 s)
  // + the retry pause (1 s); twice that for a loaded machine.
  EXPECT_LT((*writer)->longest_gap(), std::chrono::seconds(14));

  proxy().SetFaultRate(0.0);
  ASSERT_TRUE(core::PollUntil(
      [&] { return Sql(Source(), "SHOW synchronous_standby_names") == "hasteward_receiver"; },
      std::chrono::seconds(120)))
      << ReceiverErr();
  ASSERT_TRUE((*writer)->WaitForMore(50, std::chrono::seconds(60))) << ReceiverErr();
  LoseTheSiteAndCheckTheDrSite(**writer, 0);
}

}  // namespace
}  // namespace hasteward::testing
