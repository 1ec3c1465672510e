// `serve` keeps a MariaDB cluster's binlog archive (policy `pitr: true`) and survives a repository
// outage: on a real sandbox server under a steady write load of numbered rows, the REST
// repository behind a FaultProxy resets every request for 60 s. The lag metric rises during the
// outage (seconds and bytes) and falls once the repository is back; the archive then reaches the
// server's position, `pitr status` (the gap metric) sees no gap, and a point-in-time restore to
// that position has every acknowledged row, none twice.
#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/fault_proxy.h"
#include "support/mariadb_set_writer.h"
#include "support/rest_test_server.h"
#include "support/serve_process.h"
#include "support/story_suite.h"

namespace hasteward::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kOutage = 60s;

class ServeArchiveTest : public StorySuite<ServeArchiveTest> {
 public:
  static SandboxCluster::Options Story() { return AsyncMariadbStory(1, "sa"); }
  static constexpr const char* kTempPrefix = "hs-serve-arch-";

 protected:
  void SetUp() override {
    StorySuite::SetUp();
    if (HasFatalFailure()) {
      return;
    }
    auto rest = RestTestServer::Start(Env().Path("rest"));
    ASSERT_TRUE(rest.ok()) << rest.status().ToString();
    rest_ = std::move(rest).value();
    // Every request the proxy faults is reset without reaching the server: unreachable.
    auto proxy = FaultProxy::Start(
        {.upstream_port = rest_->port(), .fault_rate = 0, .faults = {FaultProxy::Fault::kReset}});
    ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
    proxy_ = std::move(proxy).value();
    location_ = "rest:http://127.0.0.1:" + std::to_string(proxy_->port()) + "/repo";
    Env().UseRepository(location_);
    ASSERT_EQ(Env().Run({"repo", "init"}).exit_code, 0);
    WriteFile(Env().Path("password"), Env().password() + "\n");
  }
  void TearDown() override { serve_.Stop(); }

  static HastewardEnv& Env() { return story_->env(); }
  static const std::string& Name() { return story_->sandbox().cluster().name; }
  static CmdResult On(const std::string& verb, std::vector<std::string> args = {}) {
    std::vector<std::string> all = {verb, "-e", "mariadb", "-c", Name(), "-n", "sa"};
    all.insert(all.end(), args.begin(), args.end());
    return Env().Run(all);
  }
  std::string WriteConfig() const {
    return WriteFile(Env().Path("serve.yaml"),
                     "inventory: " + Env().inventory() +
                         "\nstateFile: " + Env().Path("serve-state.json") +
                         "\n"
                         "pitrStatusSeconds: 3\n"
                         "repositories:\n"
                         "  - {name: rest, repository: " +
                         location_ + ", passwordFile: " + Env().Path("password") +
                         "}\n"
                         "policies: [{name: default, pitr: true, repositories: [rest]}]\n"
                         "clusters: [{namespace: sa, name: " +
                         Name() + "}]\n");
  }
  double Sample(const std::string& name) const {
    return MetricSample(serve_.Metrics(), name,
                        "cluster=\"" + Name() + "\",namespace=\"sa\",engine=\"mariadb\"");
  }
  std::unique_ptr<MariadbSetWriter> StartLoad() const {
    story_->Sql(0,
                "CREATE DATABASE IF NOT EXISTS pit; CREATE TABLE pit.w (seq INT "
                "AUTO_INCREMENT PRIMARY KEY, id BIGINT)");
    const auto& instance = story_->sandbox().instance(0);
    auto writer = std::make_unique<MariadbSetWriter>(
        MariadbSetWriter::Options{.endpoints = {{instance.host, instance.port}},
                                  .user = story_->sandbox().cluster().credentials.user,
                                  .password = story_->sandbox().password(),
                                  .table = "pit.w",
                                  .retry_pause = 20ms,
                                  .pace = 50ms});
    writer->Start();
    return writer;
  }

  std::unique_ptr<RestTestServer> rest_;
  std::unique_ptr<FaultProxy> proxy_;
  std::string location_;
  ServeProcess serve_;
};

TEST_F(ServeArchiveTest, RepositoryOutageUnderLoadLosesNothingAndTheLagRisesAndFalls) {
  ASSERT_EQ(On("backup", {"--method", "native"}).exit_code, 0);
  auto env = Env().vars();
  // A storage call gives up after 5 s instead of 2 min, so failed cycles report the backlog
  // during the outage (with the default the cycle waits the outage out inside the retry).
  env["HASTEWARD_STORAGE_RETRY_SECONDS"] = "5";
  ASSERT_TRUE(serve_.Start(WriteConfig(), env, {}).ok()) << serve_.Logs();
  auto load = StartLoad();
  ASSERT_TRUE(core::PollUntil([&] { return Sample("hasteward_archive_lag_seconds") >= 0; }, 60s))
      << serve_.Metrics() << serve_.Logs();
  ASSERT_TRUE(core::PollUntil([&] { return Sample("hasteward_pitr_gaps") == 0; }, 30s))
      << serve_.Metrics();
  EXPECT_LT(Sample("hasteward_archive_lag_seconds"), 10);
  EXPECT_EQ(Sample("hasteward_archive_up"), 1);

  proxy_->SetFaultRate(1.0);
  double max_lag = 0;
  double max_bytes = 0;
  for (auto end = std::chrono::steady_clock::now() + kOutage;
       std::chrono::steady_clock::now() < end;) {
    max_lag = std::max(max_lag, Sample("hasteward_archive_lag_seconds"));
    max_bytes = std::max(max_bytes, Sample("hasteward_archive_lag_bytes"));
    std::this_thread::sleep_for(1s);
  }
  proxy_->SetFaultRate(0);
  EXPECT_GT(max_lag, 40) << "the archive fell behind while the repository was away";
  EXPECT_GT(max_bytes, 0) << serve_.Metrics();
  EXPECT_GT(Sample("hasteward_archive_cycles_failed_total"), 0);
  const auto back = std::chrono::steady_clock::now();
  ASSERT_TRUE(core::PollUntil([&] { return Sample("hasteward_archive_lag_seconds") < 10; }, 90s))
      << serve_.Metrics() << serve_.Logs();
  std::printf("outage %llds: max lag %.1f s, max backlog %.0f bytes; lag under 10 s %.1f s after\n",
              static_cast<long long>(kOutage.count()), max_lag, max_bytes,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - back).count());

  load->Stop();
  const std::string position = story_->Sql(0, "SELECT @@gtid_binlog_pos");
  const std::string archived = "hasteward_archive_position_info{cluster=\"" + Name() +
                               "\",namespace=\"sa\",engine=\"mariadb\",position=\"" + position +
                               "\"} 1";
  ASSERT_TRUE(
      core::PollUntil([&] { return serve_.Metrics().find(archived) != std::string::npos; }, 30s))
      << position << "\n"
      << serve_.Metrics();
  EXPECT_TRUE(core::PollUntil([&] { return Sample("hasteward_archive_lag_bytes") == 0; }, 10s));
  EXPECT_TRUE(core::PollUntil([&] { return Sample("hasteward_pitr_gaps") == 0; }, 30s));
  ASSERT_EQ(serve_.Stop(), 0);

  // Nothing lost: a restore to the archived position has every acknowledged row, once.
  auto stop = Env().Run({"instance", "stop", "-c", Name(), "-n", "sa", "-i", "0"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  // A stopped server's GTID position cannot be read: consent (its data directory is kept).
  auto restored = On("restore", {"--until-gtid", position, "--yes", "--confirm-rewind"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  SetCheck check = CheckSet(load->acknowledged(), story_->Sql(0, "SELECT id FROM pit.w"));
  std::printf("rows acknowledged %ld, restored %ld, lost %ld\n", check.acknowledged, check.present,
              check.lost);
  EXPECT_GT(check.acknowledged, 600) << "the load ran through the outage";
  EXPECT_EQ(check.lost, 0);
  EXPECT_EQ(check.duplicated, 0);
}

}  // namespace
}  // namespace hasteward::testing
