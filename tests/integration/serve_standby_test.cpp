// `hasteward serve` running DR standbys declared in its config, against a real sandbox PostgreSQL
// cluster that backs up into a local repository: on its discoveryInterval serve discovers the
// source through the repository alone, shows each condition on /metrics and writes, then
// refreshes, the standby's retention floor cursor in the source repository; a suspended standby
// beside it does nothing (no discovery, no cursor).
#include <optional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/poll_until.h"
#include "repo/cursor/standby_cursor.h"
#include "storage/local/local_backend.h"
#include "support/hasteward_env.h"
#include "support/serve_process.h"

namespace hasteward::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kPassword[] = "serve-standby-test";

class ServeStandbyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
    auto up = hs_.Run({"sandbox", "up", "-e", "cnpg", "-c", "shop", "-n", "src"});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    // Native: what an activation restores, so the only kind a standby discovers.
    auto backup =
        hs_.Run({"backup", "--method", "native", "-e", "cnpg", "-c", "shop", "-n", "src"});
    ASSERT_EQ(backup.exit_code, 0) << backup.err;
  }

  void TearDown() override {
    serve_.Stop();
    hs_.Run({"sandbox", "down", "-c", "shop", "-n", "src"});
  }

  // A standby of the source's cluster, as a `standbys:` entry of serve's config.
  std::string Standby(const std::string& name, const std::string& freshness) const {
    return "- name: " + name + "\n  source:\n    repository: " + hs_.repository() +
           "\n    passwordFile: " + hs_.Path("source-password") +
           "\n    cluster: {engine: cnpg, namespace: src, name: shop}\n"
           "  template: {engine: cnpg, namespace: dr, name: " +
           name + "}\n  freshness: {" + freshness + "}\n  cursor: {ttl: 10m}\n";
  }

  std::string WriteConfig() const {
    WriteFile(hs_.Path("source-password"), std::string(kPassword) + "\n");
    std::string path = hs_.Path("serve.yaml");
    WriteFile(path, "inventory: " + hs_.inventory() +
                        "\nstateFile: " + hs_.Path("serve-state.json") + "\nstandbys:\n" +
                        Standby("shop-dr", "discoveryInterval: 2s") +
                        Standby("shop-off", "discoveryInterval: 2s, suspend: true"));
    return path;
  }

  // The cursor of `standby` as the source's prune reads it (nullopt when there is none).
  std::optional<repo::StandbyCursor> Cursor(const std::string& standby) const {
    auto repository = repo::Repository::Open(
        std::make_unique<storage::LocalBackend>(hs_.repository()), kPassword);
    EXPECT_TRUE(repository.ok()) << repository.status().ToString();
    if (!repository.ok())
      return std::nullopt;
    auto cursors = repo::LoadStandbyCursors(**repository);
    EXPECT_TRUE(cursors.ok()) << cursors.status().ToString();
    for (const auto& read : cursors.ok() ? *cursors : std::vector<repo::CursorRead>{}) {
      if (read.cursor && read.cursor->standby == standby)
        return read.cursor;
    }
    return std::nullopt;
  }

  HastewardEnv hs_{"hs-serve-standby-", kPassword};
  ServeProcess serve_;
};

TEST_F(ServeStandbyTest, ConditionsShowInMetricsAndTheCursorIsRefreshedButNotForASuspendedOne) {
  ASSERT_TRUE(serve_.Start(WriteConfig(), hs_.vars(), {}).ok());
  const std::string dr = "standby=\"shop-dr\"";
  auto condition = [&](const std::string& scrape, const std::string& type) {
    return MetricSample(scrape, "hasteward_standby_condition", dr + ",condition=\"" + type + "\"");
  };
  std::string scrape;
  ASSERT_TRUE(core::PollUntil(
      [&] {
        scrape = serve_.Metrics();
        return condition(scrape, "BucketReadable") >= 0;
      },
      30s))
      << scrape << serve_.Logs();
  EXPECT_EQ(condition(scrape, "BucketReadable"), 1) << scrape;
  EXPECT_EQ(condition(scrape, "SourceConfigKnown"), 1) << scrape;
  EXPECT_EQ(condition(scrape, "Restorable"), 0) << scrape;  // nothing verified the backup
  EXPECT_EQ(condition(scrape, "Fresh"), 1) << scrape;
  EXPECT_EQ(condition(scrape, "Stale"), 0) << scrape;
  EXPECT_EQ(MetricSample(scrape, "hasteward_standby_cursor_written", dr), 1) << scrape;
  EXPECT_GT(MetricSample(scrape, "hasteward_standby_last_discovery_timestamp_seconds", dr), 0);
  EXPECT_EQ(MetricSample(scrape, "hasteward_standby_suspended", dr), 0);

  // The cursor pins the backup and is rewritten on each discovery.
  std::optional<repo::StandbyCursor> first = Cursor("shop-dr");
  ASSERT_TRUE(first.has_value()) << serve_.Logs();
  EXPECT_FALSE(first->backup_id.empty());
  EXPECT_EQ(first->ttl_seconds, 600);
  EXPECT_EQ(first->namespace_name + "/" + first->cluster, "src/shop");
  EXPECT_TRUE(core::PollUntil(
      [&] {
        auto later = Cursor("shop-dr");
        return later && later->written_unix > first->written_unix &&
               later->backup_id == first->backup_id;
      },
      15s))
      << serve_.Logs();
  // A discovery writes the cursor before it counts itself: the count follows shortly after.
  EXPECT_TRUE(core::PollUntil(
      [&] {
        return MetricSample(serve_.Metrics(), "hasteward_standby_discoveries_total", dr) >= 2;
      },
      15s))
      << serve_.Metrics();

  // The suspended standby: no discovery, no condition, no cursor.
  scrape = serve_.Metrics();
  const std::string off = "standby=\"shop-off\"";
  EXPECT_EQ(MetricSample(scrape, "hasteward_standby_suspended", off), 1) << scrape;
  EXPECT_EQ(scrape.find("hasteward_standby_condition{" + off), std::string::npos) << scrape;
  EXPECT_FALSE(Cursor("shop-off").has_value());
  EXPECT_EQ(serve_.Stop(), 0) << serve_.Logs();
}

}  // namespace
}  // namespace hasteward::testing
