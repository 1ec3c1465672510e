// Recovery point zero (issue #52), PostgreSQL, end to end on the real binary: two sandbox sites
// sharing an S3 repository on Ceph RGW (support/standby_sites.h). The source archives through
// wal-push and runs `hasteward wal-receive`; `archive enable --sync` makes the receiver its
// synchronous standby (refused while no receiver streams). A writer commits ids under
// synchronous_commit = on (only ids whose COMMIT returned count); at a random moment (seed
// printed) the whole source site is killed with kill -9, the primary and the receiver, so the
// last acknowledged commits exist only as the receiver's pieces in the repository (halfway, the
// receiver alone is killed and restarted: it resumes from its pieces). A DR standby activated
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
#include "support/hasteward_env.h"
#include "support/postgres_set_writer.h"
#include "support/standby_sites.h"

namespace hasteward::testing {
namespace {

constexpr char kPassword[] = "receiver-test";

class WalReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sites = StandbySites::Start({.engine = platform::EngineKind::kPostgres,
                                      .instances = 1,
                                      .name = "shop",
                                      .password = kPassword,
                                      .temp_prefix = "hs-receive-"});
    ASSERT_TRUE(sites.ok()) << sites.status().ToString();
    sites_ = std::move(*sites);
  }

  void TearDown() override {
    if (receiver_ != nullptr) {
      ::kill(receiver_->pid(), SIGKILL);
      receiver_->Wait();
    }
  }

  StandbySite& Source() { return sites_->source(); }
  StandbySite& Dr() { return sites_->dr(); }

  std::string Sql(StandbySite& site, const std::string& sql) {
    auto rows = site.cluster->Sql(0, sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString() << " for " << sql;
    return rows.ok() ? rows->substr(0, rows->find('\n')) : "";
  }

  // `archive enable` at the source with the server's own password and S3 credentials files.
  CmdResult ArchiveEnable(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"archive",
                                     "enable",
                                     "--password-file",
                                     sites_->PasswordFileFor(Source(), Source()),
                                     "--s3-credentials-file",
                                     sites_->S3CredentialsFileFor(Source(), Source())};
    args.insert(args.end(), extra.begin(), extra.end());
    return Source().Hs(args);
  }

  // `hasteward wal-receive --json` for the source, in the background.
  void StartReceiver() {
    const platform::Cluster& own = Source().cluster->cluster();
    core::SubprocessOptions options;
    options.argv = {
        HastewardBin(), "wal-receive", "--json", "-e",  platform::EngineKindName(own.engine),
        "-c",           own.name,      "-n",     own.ns};
    options.env_set = Source().env->vars();
    options.stdout_mode = core::StdioMode::kFile;
    options.stdout_file = Source().env->Path("receiver.out");
    options.stderr_mode = core::StdioMode::kFile;
    options.stderr_file = Source().env->Path("receiver.err");
    auto started = core::Subprocess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    receiver_ = std::move(*started);
  }

  std::string ReceiverErr() {
    auto text = core::ReadFileToString(Source().env->Path("receiver.err"));
    return text.ok() ? *text : "";
  }

  std::string NativeBackup(StandbySite& site) {
    auto run = site.Hs({"backup", "--method", "native", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto summary = nlohmann::json::parse(run.out.substr(run.out.rfind("{\"")), nullptr, false);
    return summary.is_object() ? summary.value("snapshot_id", "") : "";
  }

  void Kill9Source() {
    auto pid = core::ReadFileToString(Source().cluster->instance(0).data_dir + "/postmaster.pid");
    ASSERT_TRUE(pid.ok());
    // The whole site at once: the receiver and the primary, back to back.
    ::kill(receiver_->pid(), SIGKILL);
    RunCommand({"kill", "-9", pid->substr(0, pid->find('\n'))});
    receiver_->Wait();
    receiver_.reset();
    ASSERT_TRUE(core::PollUntil(
        [&] { return !core::TcpAccepts("127.0.0.1", Source().cluster->instance(0).port); },
        std::chrono::seconds(20)));
  }

  std::unique_ptr<StandbySites> sites_;
  std::unique_ptr<core::Subprocess> receiver_;
};

TEST_F(WalReceiverTest, EveryAcknowledgedCommitSurvivesTheLossOfTheWholeSite) {
  // archive enable --sync without a receiver: refused, and the server never waits for one.
  ASSERT_EQ(ArchiveEnable().exit_code, 0);
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
  const unsigned seed = given != nullptr ? static_cast<unsigned>(std::stoul(given))
                                         : std::random_device{}();
  std::mt19937 rng(seed);
  const size_t before_kill = 100 + rng() % 400;
  std::printf("seed %u: kill -9 after %zu more acknowledged commits\n", seed, before_kill);
  auto writer = PostgresSetWriter::Start(
      {.cluster = Source().cluster->cluster(), .synchronous_commit = "on"});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->WaitForMore(before_kill / 2, std::chrono::seconds(120)))
      << "acknowledged: " << (*writer)->acknowledged() << "\n"
      << ReceiverErr();
  // kill -9 of the receiver alone: commits wait for it; a new one resumes from its stored pieces
  // (the slot kept the WAL) and the commits go on.
  ::kill(receiver_->pid(), SIGKILL);
  receiver_->Wait();
  StartReceiver();
  ASSERT_TRUE((*writer)->WaitForMore(before_kill - before_kill / 2, std::chrono::seconds(120)))
      << "acknowledged: " << (*writer)->acknowledged() << "\n"
      << ReceiverErr();
  Kill9Source();
  (*writer)->Stop();
  const size_t acknowledged = (*writer)->acknowledged();
  ASSERT_GE(acknowledged, before_kill);

  // The DR site, from the repository alone.
  ASSERT_TRUE(StandbySites::ShareCredentials(Source(), Dr()).ok());
  std::string config =
      sites_->Declare(Dr(), Source(), "shop-dr", "  activation: {acceptUnverified: true}\n");
  auto activated = StandbySites::Activate(Dr(), config, "2026-11-28T10:00:00Z");
  ASSERT_EQ(activated.exit_code, 0) << activated.out << activated.err;
  auto outcome = (*writer)->CheckOn(Dr().cluster->cluster(), 0);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->lost, 0U) << "seed " << seed << ": first lost id " << outcome->first_lost
                               << " of " << outcome->acknowledged << " acknowledged";
  EXPECT_EQ(outcome->duplicates, 0U);
  EXPECT_EQ(outcome->acknowledged, acknowledged);
  EXPECT_GE(outcome->present, acknowledged);
}

}  // namespace
}  // namespace hasteward::testing
