// Every metric deploy/monitoring's alerts and dashboard name is exported by a running `hasteward
// serve`: the real binary manages a sandbox PostgreSQL with every-minute schedules on a fast
// scheduler clock, backs it up, verifies and triages it, and its /metrics is scraped over
// 127.0.0.1. A name is only "exported" when a sample carries it (a # TYPE line alone is not a
// series Prometheus would store). The rules' expressions themselves are checked by promtool in
// tests/deploy/prometheus_rules_test.py.
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/fd.h"
#include "core/poll_until.h"
#include "support/hasteward_env.h"
#include "support/serve_process.h"
#include "support/source_dir.h"

namespace hasteward::testing {
namespace {

using namespace std::chrono_literals;

std::string Monitoring(const std::string& name) {
  auto text = core::ReadFileToString(SourceDir() + "/deploy/monitoring/" + name);
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? *text : "";
}

void AddNames(const std::string& expression, std::set<std::string>& names) {
  static const std::regex kName("hasteward_[a-z0-9_]+");
  for (std::sregex_iterator it(expression.begin(), expression.end(), kName), end; it != end; ++it)
    names.insert(it->str());
}

// The hasteward_* names the PrometheusRule's expressions use.
std::set<std::string> RuleMetricNames() {
  std::set<std::string> names;
  YAML::Node rule = YAML::Load(Monitoring("prometheusrule.yaml"));
  for (const auto& group : rule["spec"]["groups"]) {
    for (const auto& entry : group["rules"])
      AddNames(entry["expr"].as<std::string>(), names);
  }
  return names;
}

// The hasteward_* names of the dashboard's panel queries and template variables.
std::set<std::string> DashboardMetricNames() {
  std::set<std::string> names;
  auto dashboard = nlohmann::json::parse(Monitoring("hasteward-dashboard.json"));
  for (const auto& panel : dashboard["panels"]) {
    for (const auto& target : panel.value("targets", nlohmann::json::array()))
      AddNames(target.value("expr", ""), names);
  }
  for (const auto& variable : dashboard["templating"]["list"])
    AddNames(variable.value("query", ""), names);
  return names;
}

// Names that have at least one sample in a scrape (comment lines skipped).
std::set<std::string> SampledNames(const std::string& scrape) {
  std::set<std::string> names;
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#')
      continue;
    names.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return names;
}

std::string Missing(const std::set<std::string>& wanted, const std::set<std::string>& have) {
  std::string missing;
  for (const auto& name : wanted) {
    if (!have.count(name))
      missing += (missing.empty() ? "" : ", ") + name;
  }
  return missing;
}

class MonitoringMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(hs_.dir() + "/password", "monitoring-test\n");
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    auto up =
        hs_.Run({"sandbox", "up", "-e", "cnpg", "-c", "shop", "-n", "test", "--instances", "1"});
    ASSERT_EQ(up.exit_code, 0) << up.err;
  }

  void TearDown() override {
    serve_.Stop();
    hs_.Run({"sandbox", "down", "-c", "shop", "-n", "test"});
  }

  std::string WriteConfig() {
    std::string path = hs_.dir() + "/serve.yaml";
    WriteFile(path, "inventory: " + hs_.dir() + "/inventory.yaml\nstateFile: " + hs_.dir() +
                        "/serve-state.json\nrepositories:\n  - {name: local, repository: " +
                        hs_.dir() + "/repo, passwordFile: " + hs_.dir() +
                        "/password}\n"
                        "policies:\n"
                        "  - name: every-minute\n"
                        "    backupSchedule: \"* * * * *\"\n"
                        "    verifySchedule: \"* * * * *\"\n"
                        "    triageSchedule: \"* * * * *\"\n"
                        "    mode: triage\n"
                        "    repositories: [local]\n"
                        "    retention: {keepLast: 2}\n"
                        // The WAL receiver's alert needs its samples: serve runs one.
                        "    pitr: true\n"
                        "    pitrSync: true\n"
                        "clusters:\n"
                        "  - {namespace: test, name: shop, policy: every-minute}\n");
    return path;
  }

  // A short prefix: the verification scratch instance's socket lives below it, within the 107
  // bytes a Unix socket path may have.
  HastewardEnv hs_{"hs-mon-", "monitoring-test"};
  ServeProcess serve_;
};

TEST_F(MonitoringMetricsTest, EveryMetricTheAlertsAndTheDashboardNameIsExportedByServe) {
  const std::set<std::string> rules = RuleMetricNames();
  const std::set<std::string> dashboard = DashboardMetricNames();
  // The alerts the issue asks for: backup age, verification failures, triage verdicts.
  for (const char* needed : {"hasteward_last_backup_timestamp_seconds",
                             "hasteward_verification_success", "hasteward_triage_state"}) {
    EXPECT_TRUE(rules.count(needed)) << needed;
  }
  auto st = serve_.Start(WriteConfig(), hs_.vars(), {.tick_seconds = 2, .grace_seconds = 30});
  ASSERT_TRUE(st.ok()) << st.ToString();

  // Before any job ran, the series the age alerts count from are there already: an alert on the
  // age of a series that is absent until the first backup succeeds would never fire for a
  // cluster whose first backup never does.
  const std::string first = serve_.Metrics();
  const std::string labels = "cluster=\"shop\",namespace=\"test\",engine=\"cnpg\"";
  for (const char* schedule : {"backup", "verify", "triage"}) {
    EXPECT_GT(MetricSample(first, "hasteward_schedule_start_timestamp_seconds",
                           labels + ",schedule=\"" + schedule + "\""),
              0)
        << schedule << "\n"
        << first;
  }

  std::string scrape;
  bool all_ran = core::PollUntil(
      [&] {
        scrape = serve_.Metrics();
        return MetricSample(scrape, "hasteward_backup_success", labels) == 1 &&
               MetricSample(scrape, "hasteward_verification_success", labels) == 1 &&
               MetricSample(scrape, "hasteward_triage_state", labels + ",state=\"healthy\"") == 1;
      },
      180s);
  ASSERT_TRUE(all_ran) << scrape << "\n" << serve_.Logs();
  const std::set<std::string> sampled = SampledNames(scrape);
  EXPECT_EQ(Missing(rules, sampled), "") << "alerts on metrics serve does not export\n" << scrape;
  EXPECT_EQ(Missing(dashboard, sampled), "")
      << "dashboard queries on metrics serve does not export\n"
      << scrape;
  EXPECT_GT(MetricSample(scrape, "hasteward_last_backup_timestamp_seconds", labels), 0);
  EXPECT_EQ(serve_.Stop(), 0) << serve_.Logs();
}

TEST(MonitoringMetricNamesTest, ANameServeNeverExportsIsReported) {
  // The comparison above would pass vacuously if the scrape parser saw every name.
  const std::string scrape =
      "# HELP hasteward_backup_success 1 when the last backup succeeded\n"
      "# TYPE hasteward_backup_success gauge\n"
      "# TYPE hasteward_last_backup_size_bytes gauge\n"
      "hasteward_backup_success{cluster=\"a\"} 1\n"
      "hasteward_jobs_running 0\n";
  EXPECT_EQ(SampledNames(scrape),
            (std::set<std::string>{"hasteward_backup_success", "hasteward_jobs_running"}));
  EXPECT_EQ(Missing({"hasteward_backup_success", "hasteward_last_backup_size_bytes",
                     "hasteward_no_such_metric"},
                    SampledNames(scrape)),
            "hasteward_last_backup_size_bytes, hasteward_no_such_metric");
  std::set<std::string> names;
  AddNames("time() - max by (a) (hasteward_x_seconds{y=\"z\"} > 0 or on (a) hasteward_y)", names);
  EXPECT_EQ(names, (std::set<std::string>{"hasteward_x_seconds", "hasteward_y"}));
}

}  // namespace
}  // namespace hasteward::testing
