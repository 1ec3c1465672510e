// `hasteward serve` in mode repair on real sandbox PostgreSQL clusters (defect j of issue 11): a
// triage that finds a stopped standby runs the repair command, which takes its escrow and heals
// the standby; a split brain is refused by the repair command's safety table (no --force from the
// operator) and the refusal shows in `get status` and in hasteward_repairs_total.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

class ServeRepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = SandboxCluster::Create({.engine = platform::EngineKind::kPostgres,
                                     .instances = 2,
                                     .replication_mode = "async",
                                     .name = "shop",
                                     .ns = "srt"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    sc_ = std::move(*c);
    HastewardEnv::Options options;
    options.temp_prefix = "hs-serve-repair-";
    options.password = "serve-repair-test";
    options.state_dir = sc_->state_dir();
    options.inventory = sc_->inventory_path();
    hs_ = std::make_unique<HastewardEnv>(options);
    WriteFile(hs_->Path("password"), "serve-repair-test\n");
    ASSERT_EQ(hs_->Run({"repo", "init"}).exit_code, 0);
    ASSERT_TRUE(sc_->Sql(0,
                         "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT "
                         "generate_series(1, 1000);")
                    .ok());
  }

  // Triage every scheduler minute, nothing else; mode repair.
  std::string WriteConfig() {
    std::string path = hs_->Path("serve.yaml");
    WriteFile(path, "inventory: " + sc_->inventory_path() +
                        "\nstateFile: " + hs_->Path("serve-state.json") +
                        "\nrepositories:\n"
                        "  - {name: local, repository: " +
                        hs_->repository() + ", passwordFile: " + hs_->Path("password") +
                        "}\n"
                        "policies:\n"
                        "  - {name: heal, triageSchedule: \"* * * * *\", mode: repair, "
                        "repositories: [local]}\n"
                        "clusters:\n"
                        "  - {namespace: srt, name: shop, policy: heal}\n");
    return path;
  }

  double Repairs(const std::string& scrape, const std::string& result) {
    return MetricSample(
        scrape, "hasteward_repairs_total",
        "cluster=\"shop\",namespace=\"srt\",engine=\"cnpg\",result=\"" + result + "\"");
  }

  Json Status(const std::string& config) {
    auto r = hs_->Run({"get", "status", "--config", config, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto rows = Json::parse(r.out, nullptr, false);
    return rows.is_array() && rows.size() == 1 ? rows[0] : Json::object();
  }

  int Triage() { return hs_->Run({"triage", "-c", "shop", "-n", "srt"}).exit_code; }

  std::unique_ptr<SandboxCluster> sc_;
  std::unique_ptr<HastewardEnv> hs_;
  ServeProcess serve_;
};

TEST_F(ServeRepairTest, StoppedStandbyIsHealedWithEscrowAndCounted) {
  ASSERT_EQ(hs_->Run({"instance", "stop", "-c", "shop", "-n", "srt", "-i", "1"}).exit_code, 0);
  ASSERT_EQ(Triage(), 4);  // degraded
  std::string config = WriteConfig();
  ASSERT_TRUE(serve_.Start(config, hs_->vars(), {.tick_seconds = 2, .grace_seconds = 30}).ok())
      << serve_.Logs();
  std::string m;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        m = serve_.Metrics();
        return Repairs(m, "healed") >= 1;
      },
      180s))
      << m << "\n"
      << serve_.Logs();
  EXPECT_EQ(Repairs(m, "refused"), 0) << m;
  EXPECT_EQ(Repairs(m, "failed"), 0) << m;
  EXPECT_EQ(Triage(), 0) << "the standby is back";
  // The next scheduled triage sees the healed cluster and starts no further repair.
  ASSERT_TRUE(core::PollUntil(
      [&] {
        m = serve_.Metrics();
        return m.find("state=\"healthy\"} 1") != std::string::npos;
      },
      30s))
      << m;
  EXPECT_EQ(serve_.Stop(), 0) << serve_.Logs();
  EXPECT_NE(serve_.Logs().find("\"msg\":\"repair end\""), std::string::npos) << serve_.Logs();

  Json row = Status(config);
  EXPECT_EQ(row["repair"]["outcome"], "healed") << row.dump();
  EXPECT_EQ(row["repair"]["error"], "") << row.dump();
  // The repair command's escrow backup went to the policy's repository first.
  std::string escrow = row["repair"]["snapshot_id"].get<std::string>();
  ASSERT_FALSE(escrow.empty()) << row.dump();
  auto snaps = Json::parse(hs_->Run({"get", "backups", "--json"}).out);
  bool found = false;
  for (const auto& s : snaps)
    found = found || s["id"].get<std::string>().rfind(escrow.substr(0, 8), 0) == 0;
  EXPECT_TRUE(found) << escrow << " not in " << snaps.dump();
  auto rows = sc_->Sql(1, "SELECT count(*) FROM t;");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->substr(0, 4), "1000");
}

TEST_F(ServeRepairTest, SplitBrainIsRefusedAndReportedInStatusAndMetrics) {
  // The standby must have replayed the table before it is promoted (replication is async).
  ASSERT_TRUE(core::PollUntil(
      [&] {
        auto rows = sc_->Sql(1, "SELECT count(*) FROM t;");
        return rows.ok() && rows->substr(0, 4) == "1000";
      },
      std::chrono::seconds(60)));
  // Promote the standby and write on both sides: a split brain, which only a human may resolve.
  ASSERT_TRUE(sc_->Sql(1, "SELECT pg_promote(true, 60);").ok());
  auto promoted_write = sc_->Sql(1, "INSERT INTO t VALUES (900001);");
  ASSERT_TRUE(promoted_write.ok()) << promoted_write.status().ToString();
  ASSERT_TRUE(sc_->Sql(0, "INSERT INTO t VALUES (900002);").ok());
  ASSERT_EQ(Triage(), 5);
  std::string config = WriteConfig();
  ASSERT_TRUE(serve_.Start(config, hs_->vars(), {.tick_seconds = 2, .grace_seconds = 30}).ok())
      << serve_.Logs();
  std::string m;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        m = serve_.Metrics();
        return Repairs(m, "refused") >= 1;
      },
      120s))
      << m << "\n"
      << serve_.Logs();
  EXPECT_EQ(Repairs(m, "healed"), 0) << m;
  EXPECT_EQ(Repairs(m, "failed"), 0) << m;
  EXPECT_NE(m.find("hasteward_job_errors_total{job=\"repair\"} 0"), std::string::npos) << m;
  EXPECT_EQ(serve_.Stop(), 0) << serve_.Logs();

  Json row = Status(config);
  EXPECT_EQ(row["triage"]["outcome"], "split-brain") << row.dump();
  EXPECT_EQ(row["repair"]["outcome"], "refused") << row.dump();
  EXPECT_NE(row["repair"]["error"].get<std::string>().find("HARD STOP"), std::string::npos)
      << row.dump();
  auto human = hs_->Run({"get", "status", "--config", config});
  EXPECT_NE(human.out.find("refused"), std::string::npos) << human.out;
  // Refused means untouched: still split-brain, both sides keep their rows, nothing captured.
  EXPECT_EQ(Triage(), 5);
  auto kept = sc_->Sql(1, "SELECT count(*) FROM t WHERE id = 900001;");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->substr(0, 1), "1");
  auto diverged = hs_->Run({"get", "backups", "-t", "diverged", "--json"});
  EXPECT_EQ(Json::parse(diverged.out).size(), 0u) << diverged.out;
}

}  // namespace
}  // namespace hasteward::testing
