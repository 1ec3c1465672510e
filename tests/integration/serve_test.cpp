// `hasteward serve` against a real sandbox PostgreSQL cluster with a fast scheduler clock
// (--tick-seconds): scheduled backups, verification and triage happen and show in metrics scraped
// over real HTTP, also under append-only credentials; SIGTERM mid-backup aborts it without a
// partial snapshot, leftover process or repository lock; a restart resumes the schedule from the
// state file.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "support/hasteward_env.h"
#include "support/rest_test_server.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

const char kLabels[] = "{cluster=\"shop\",namespace=\"test\",engine=\"cnpg\"}";

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(hs_.dir() + "/password", "serve-test\n");
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    auto up =
        hs_.Run({"sandbox", "up", "-e", "cnpg", "-c", "shop", "-n", "test", "--instances", "1"});
    ASSERT_EQ(up.exit_code, 0) << up.err;
  }

  void TearDown() override {
    serve_.Stop();
    hs_.Run({"sandbox", "down", "-c", "shop", "-n", "test"});
  }

  void Psql(const std::string& db, const std::string& sql) {
    auto list = Json::parse(hs_.Run({"sandbox", "list", "--json"}).out);
    const auto& inst = list[0]["instances"][0];
    auto r = RunCommand({"runuser", "-u", "postgres", "--", "psql", "-h", inst["socket"], "-p",
                         std::to_string(inst["port"].get<int>()), "-d", db, "-X", "-q", "-v",
                         "ON_ERROR_STOP=1", "-c", sql});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void LoadRows(int rows) {
    Psql("postgres", "CREATE DATABASE shop");
    Psql("shop",
         "CREATE TABLE orders (id INT PRIMARY KEY, note TEXT);"
         "INSERT INTO orders SELECT g, md5(g::text) || md5((g+1)::text) FROM generate_series(1, " +
             std::to_string(rows) + ") g;");
  }

  // `policy_extra`: more keys of the policy, each line as "    key: value\n".
  std::string WriteConfig(const std::string& backup, const std::string& verify,
                          const std::string& triage, const std::string& policy_extra = "") {
    std::string path = hs_.dir() + "/serve.yaml";
    WriteFile(path, "inventory: " + hs_.dir() +
                        "/inventory.yaml\n"
                        "stateFile: " +
                        hs_.dir() +
                        "/serve-state.json\n"
                        "repositories:\n"
                        "  - {name: local, repository: " +
                        repository_ + ", passwordFile: " + hs_.dir() +
                        "/password}\n"
                        "policies:\n"
                        "  - name: default\n"
                        "    backupSchedule: \"" +
                        backup +
                        "\"\n"
                        "    verifySchedule: \"" +
                        verify +
                        "\"\n"
                        "    triageSchedule: \"" +
                        triage +
                        "\"\n"
                        "    mode: triage\n"
                        "    repositories: [local]\n" +
                        retention_ + policy_extra +
                        "clusters:\n"
                        "  - {namespace: test, name: shop, policy: default}\n");
    return path;
  }

  void StartServe(const std::string& config, double tick, int grace) {
    auto st = serve_.Start(config, hs_.vars(), {.tick_seconds = tick, .grace_seconds = grace});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::string Metrics() { return serve_.Metrics(); }

  // Polls the metrics (into *m) until a backup, a verification and a healthy triage show.
  bool BackedUpVerifiedAndTriaged(std::string* m) {
    return core::PollUntil(
        [&] {
          *m = Metrics();
          return m->find(std::string("hasteward_backup_success") + kLabels + " 1") !=
                     std::string::npos &&
                 m->find(std::string("hasteward_verification_success") + kLabels + " 1") !=
                     std::string::npos &&
                 m->find("state=\"healthy\"} 1") != std::string::npos;
        },
        100s);
  }

  std::vector<std::string> LockFiles() {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(hs_.dir() + "/repo/locks", error))
      names.push_back(entry.path().filename().string());
    return names;
  }

  int Snapshots(const std::string& type) {
    auto r = hs_.Run({"get", "backups", "--json", "-t", type});
    return r.exit_code == 0 ? static_cast<int>(Json::parse(r.out).size()) : -1;
  }

  int StopServe() { return serve_.Stop(); }

  // The repository's native snapshots, oldest first, each as its tags (k=v) plus "id".
  std::vector<std::map<std::string, std::string>> NativeSnapshots() {
    std::vector<std::map<std::string, std::string>> found;
    auto r = hs_.Restic({"snapshots", "--json"});
    if (r.exit_code != 0)
      return found;
    for (const auto& snap : Json::parse(r.out.empty() ? "[]" : r.out)) {
      std::map<std::string, std::string> tags;
      for (const auto& t : snap.value("tags", Json::array())) {
        std::string tag = t.get<std::string>();
        size_t eq = tag.find('=');
        tags[tag.substr(0, eq)] = eq == std::string::npos ? "" : tag.substr(eq + 1);
      }
      tags["id"] = snap["id"].get<std::string>();
      if (tags["method"] == "native")
        found.push_back(std::move(tags));
    }
    return found;
  }

  // Processes whose command line mentions the test's directory (other than the sandbox cluster).
  std::vector<std::string> StrayProcesses() {
    std::vector<std::string> found;
    for (const auto& cmd : ProcessCommandLines()) {
      if (cmd.find(hs_.dir()) != std::string::npos &&
          cmd.find("/test/shop/") == std::string::npos) {
        found.push_back(cmd);
      }
    }
    return found;
  }

  HastewardEnv hs_{"hs-serve-", "serve-test"};
  ServeProcess serve_;
  // The policy's repository and retention (a test may change them before WriteConfig).
  std::string repository_ = hs_.dir() + "/repo";
  std::string retention_ = "    retention: {keepLast: 2}\n";
};

// The value of `name` + kLabels in a scrape, or -1.
double Sample(const std::string& metrics, const std::string& name) {
  std::string key = name + kLabels + " ";
  auto pos = metrics.find(key);
  return pos == std::string::npos ? -1 : std::stod(metrics.substr(pos + key.size()));
}

TEST_F(ServeTest, ScheduledBackupVerifyAndTriageShowInMetricsAndRestartResumes) {
  LoadRows(20000);
  std::string config = WriteConfig("* * * * *", "*/2 * * * *", "* * * * *");
  StartServe(config, 2, 30);
  std::string m;
  ASSERT_TRUE(BackedUpVerifiedAndTriaged(&m)) << m << "\n" << serve_.Logs();
  EXPECT_NE(m.find(std::string("hasteward_last_backup_timestamp_seconds") + kLabels),
            std::string::npos);
  EXPECT_NE(m.find(std::string("hasteward_last_backup_size_bytes") + kLabels), std::string::npos);
  EXPECT_NE(m.find("hasteward_job_errors_total{job=\"backup\"} 0"), std::string::npos) << m;
  EXPECT_NE(HttpGet(serve_.health_port(), "/healthz").find(" 200 "), std::string::npos);
  EXPECT_GE(Snapshots("backup"), 1);
  EXPECT_LE(Snapshots("backup"), 3) << "keepLast: 2 (plus at most one backup since the prune)";
  EXPECT_GE(Snapshots("verification"), 1);
  EXPECT_GT(Sample(m, "hasteward_last_backup_size_bytes"), 0);
  EXPECT_EQ(StopServe(), 0) << serve_.Logs();
  std::string logs = serve_.Logs();
  EXPECT_NE(logs.find("\"msg\":\"job start\""), std::string::npos) << logs;
  EXPECT_NE(logs.find("\"duration_seconds\""), std::string::npos) << logs;
  EXPECT_NE(logs.find("\"msg\":\"retention applied\""), std::string::npos) << logs;
  EXPECT_TRUE(StrayProcesses().empty()) << ::testing::PrintToString(StrayProcesses());

  auto status = hs_.Run({"get", "status", "--config", config, "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto rows = Json::parse(status.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["backup"]["outcome"], "ok");
  EXPECT_EQ(rows[0]["triage"]["outcome"], "healthy");
  auto before = Json::parse(RunCommand({"cat", hs_.dir() + "/serve-state.json"}).out);
  int64_t runs = before["jobs"]["test/shop/backup"]["runs"];

  // Restart: the last results are served at once and the schedule goes on from the state file.
  StartServe(config, 2, 30);
  EXPECT_NE(Metrics().find(std::string("hasteward_backup_success") + kLabels + " 1"),
            std::string::npos);
  ASSERT_TRUE(core::PollUntil(
      [&] {
        auto now = Json::parse(RunCommand({"cat", hs_.dir() + "/serve-state.json"}).out);
        return now["jobs"]["test/shop/backup"]["runs"].get<int64_t>() > runs;
      },
      60s))
      << serve_.Logs();
  auto after = Json::parse(RunCommand({"cat", hs_.dir() + "/serve-state.json"}).out);
  EXPECT_EQ(after["first_start"], before["first_start"]);
  EXPECT_GE(after["clock_now"].get<int64_t>(), before["clock_now"].get<int64_t>());
  EXPECT_EQ(StopServe(), 0);
  EXPECT_EQ(hs_.Restic({"check"}).exit_code, 0);
}

// Append-only credentials (docs/append-only.md): a repository on a REST server that refuses every
// delete outside locks/ (as `rest-server --append-only`). serve's scheduled backups, verification
// and triage all run there (the policy has no retention, which needs delete rights); prune is
// refused before it changes anything.
TEST_F(ServeTest, ScheduledBackupVerifyAndTriageWorkUnderAppendOnlyCredentials) {
  auto server = RestTestServer::Start(hs_.Path("rest"));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  repository_ = (*server)->Location("repo/");
  retention_ = "";
  hs_.UseRepository(repository_);
  ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  (*server)->SetAppendOnly(true);
  LoadRows(2000);
  StartServe(WriteConfig("* * * * *", "*/2 * * * *", "* * * * *"), 2, 30);
  std::string m;
  ASSERT_TRUE(BackedUpVerifiedAndTriaged(&m)) << m << "\n" << serve_.Logs();
  EXPECT_EQ(StopServe(), 0) << serve_.Logs();
  for (const char* job : {"backup", "verify", "triage"}) {
    EXPECT_NE(m.find("hasteward_job_errors_total{job=\"" + std::string(job) + "\"} 0"),
              std::string::npos)
        << job << "\n"
        << m;
  }
  EXPECT_GE(Snapshots("backup"), 1);
  EXPECT_GE(Snapshots("verification"), 1);

  auto before = hs_.Restic({"list", "snapshots", "--no-lock"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  auto prune = hs_.Run({"prune", "--keep-last", "1"});
  EXPECT_EQ(prune.exit_code, 14) << prune.err;
  EXPECT_NE(prune.err.find("these credentials are append-only"), std::string::npos) << prune.err;
  EXPECT_EQ(hs_.Restic({"list", "snapshots", "--no-lock"}).out, before.out);
  EXPECT_EQ(hs_.Restic({"check"}).exit_code, 0);
}

// A policy's backupMethod: native reaches the scheduled backups, so every backup after the first
// reads only what changed since its parent (the backup command's default for native backups).
TEST_F(ServeTest, APolicysNativeMethodMakesScheduledBackupsIncrementalAfterTheFirst) {
  LoadRows(20000);
  std::string config = WriteConfig("* * * * *", "", "", "    backupMethod: native\n");
  StartServe(config, 2, 30);
  std::vector<std::map<std::string, std::string>> native;
  bool two = core::PollUntil(
      [&] {
        native = NativeSnapshots();
        return native.size() >= 2;
      },
      120s);
  ASSERT_TRUE(two) << serve_.Logs();
  EXPECT_EQ(StopServe(), 0) << serve_.Logs();
  native = NativeSnapshots();
  ASSERT_GE(native.size(), 2U);
  const auto& newest = native.back();
  EXPECT_EQ(newest.at("read"), "incremental") << ::testing::PrintToString(newest);
  EXPECT_EQ(newest.count("parent") ? newest.at("parent") : "", native[native.size() - 2].at("id"))
      << "the parent is the backup before it";
  EXPECT_EQ(Snapshots("backup"), static_cast<int>(native.size())) << "no dump was taken";
  auto check = hs_.Restic({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(ServeTest, SigtermMidBackupLeavesNoPartialSnapshot) {
  LoadRows(600000);
  std::string config = WriteConfig("* * * * *", "", "");
  StartServe(config, 1, 0);
  // Stopped while the backup holds its repository lock: an abort that killed the job outright
  // left that lock behind, and stock restic refused the repository until 'restic unlock'.
  ASSERT_TRUE(core::PollUntil([&] { return !LockFiles().empty(); }, 60s)) << serve_.Logs();
  EXPECT_EQ(StopServe(), 0) << serve_.Logs();
  EXPECT_TRUE(LockFiles().empty()) << ::testing::PrintToString(LockFiles());
  std::string logs = serve_.Logs();
  EXPECT_NE(logs.find("\"outcome\":\"aborted\""), std::string::npos) << logs;
  EXPECT_EQ(Snapshots("backup"), 0) << logs;
  EXPECT_TRUE(StrayProcesses().empty()) << ::testing::PrintToString(StrayProcesses());
  auto state = Json::parse(RunCommand({"cat", hs_.dir() + "/serve-state.json"}).out);
  EXPECT_EQ(state["jobs"]["test/shop/backup"]["outcome"], "aborted");
  auto check = hs_.Restic({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace hasteward::testing
