// The retention floor cursor across two sites sharing one S3 repository on Ceph RGW, driving the
// real binary: the source site (a PostgreSQL sandbox) backs up into the bucket; the DR site (its
// own state dir and declaration, no call to the source) runs `standby status`, which writes its
// cursor pinning the backup it found; the source takes newer backups and prunes with a policy that
// would drop that backup. While the cursor is live the backup stays (listed by stock restic,
// `restic check --read-data` passes with the cursor object in the bucket); once the cursor's TTL
// has passed, the same prune removes it and reports the cursor expired. A story: one ctest test.
#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/ceph_rgw_server.h"
#include "support/command.h"
#include "support/story_cluster.h"

namespace hasteward::testing {
namespace {

// Long enough for two native backups and a prune on a loaded CI machine; the second half of the
// story waits for it to pass (the binary reads the system clock, so the wait is real).
constexpr int kTtlSeconds = 45;

class StandbyCursorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rgw_ = CephRgwServer::Shared();
    if (rgw_ == nullptr) {
      suite_error_ = "Ceph RGW did not start";
      return;
    }
    auto story = StoryCluster::Start(
        {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "shop", .ns = "src"},
        "hs-cursor-src-");
    if (!story.ok()) {
      suite_error_ = story.status().ToString();
      return;
    }
    source_ = std::move(*story).release();
    repository_ = rgw_->Location("cursor" + std::to_string(std::random_device{}()));
    dr_site_ = new HastewardEnv("hs-cursor-dr-", source_->env().password());
    for (HastewardEnv* site : {&source_->env(), dr_site_}) {
      for (const auto& [name, value] : rgw_->ClientEnv()) {
        site->Set(name, value);
      }
      site->UseRepository(repository_);
    }
    auto init = source_->env().Run({"repo", "init"});
    suite_error_ = init.exit_code == 0 ? "" : "repo init on RGW: " + init.err;
  }

  static void TearDownTestSuite() {
    delete dr_site_;
    delete source_;
  }

  void SetUp() override { ASSERT_TRUE(suite_error_.empty()) << suite_error_; }

  // A command of the source site on its cluster.
  static CmdResult Source(std::vector<std::string> args) {
    args.insert(args.end(), {"-e", "cnpg", "-c", "shop", "-n", "src"});
    return source_->env().Run(args);
  }

  // A native backup (what an activation restores, so the only kind a standby pins); its ID.
  static std::string NativeBackup() {
    auto run = Source({"backup", "--method", "native", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto summary = nlohmann::json::parse(run.out.substr(run.out.rfind("{\"")), nullptr, false);
    return summary.is_object() ? summary.value("snapshot_id", "") : "";
  }

  // The DR site's `standby status`: its declaration names only the bucket and the password.
  static nlohmann::json StandbyStatus() {
    std::string password_file = dr_site_->Path("source-password");
    WriteFile(password_file, dr_site_->password() + "\n");
    std::string config = dr_site_->Path("standby.yaml");
    WriteFile(config, "standbys:\n- name: shop-dr\n  source:\n    repository: " + repository_ +
                          "\n    passwordFile: " + password_file +
                          "\n    cluster: {engine: cnpg, namespace: src, name: shop}\n"
                          "  template: {engine: cnpg, namespace: dr, name: shop}\n"
                          "  cursor: {ttl: " +
                          std::to_string(kTtlSeconds) + "s}\n");
    auto run = dr_site_->Run({"standby", "status", "shop-dr", "--config", config, "--json"});
    auto json = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_TRUE(json.is_object()) << run.out << run.err;
    return json;
  }

  // `prune --keep-last 1` on the source: drops every backup but the newest unless pinned.
  static nlohmann::json Prune() {
    auto run = Source({"prune", "--keep-last", "1", "--keep-daily", "0", "--keep-weekly", "0",
                       "--keep-monthly", "0", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto json = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_TRUE(json.is_object()) << run.out << run.err;
    return json;
  }

  static std::string Action(const nlohmann::json& prune, const std::string& id) {
    for (const auto& group : prune["groups"]) {
      for (const auto& snapshot : group["snapshots"]) {
        if (snapshot.value("id", "") == id) {
          return snapshot.value("action", "") + ": " + snapshot["reasons"].dump();
        }
      }
    }
    return "absent";
  }

  // By snapshot ID, not anywhere in the listing: an incremental's tags name its parent's ID.
  static bool ResticLists(const std::string& id) {
    auto run = source_->env().Restic({"snapshots", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto listed = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_TRUE(listed.is_array()) << run.out;
    for (const auto& snapshot : listed.is_array() ? listed : nlohmann::json::array()) {
      if (snapshot.value("id", "") == id)
        return true;
    }
    return false;
  }

  static void ExpectResticChecks() {
    auto check = source_->env().Restic({"check", "--read-data"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }

  static CephRgwServer* rgw_;
  static StoryCluster* source_;
  static HastewardEnv* dr_site_;
  static std::string repository_;
  static std::string suite_error_;
  static std::string pinned_;
  // When the cursor was stamped: between these two instants (a function's static: no
  // initialization that can throw before main).
  struct CursorTimes {
    std::chrono::steady_clock::time_point before, after;
  };
  static CursorTimes& Times() {
    static CursorTimes times;
    return times;
  }
};

CephRgwServer* StandbyCursorTest::rgw_ = nullptr;
StoryCluster* StandbyCursorTest::source_ = nullptr;
HastewardEnv* StandbyCursorTest::dr_site_ = nullptr;
std::string StandbyCursorTest::repository_;
std::string StandbyCursorTest::suite_error_;
std::string StandbyCursorTest::pinned_;

TEST_F(StandbyCursorTest, TheStandbyWritesACursorPinningTheBackupItFound) {
  source_->Sql(0, "CREATE TABLE orders (id serial PRIMARY KEY, note text)");
  pinned_ = NativeBackup();
  ASSERT_FALSE(pinned_.empty());
  // The cursor is stamped between these two instants.
  Times().before = std::chrono::steady_clock::now();
  nlohmann::json status = StandbyStatus();
  Times().after = std::chrono::steady_clock::now();
  const nlohmann::json& cursor = status["cursor"];
  EXPECT_TRUE(cursor.value("written", false)) << status.dump();
  EXPECT_EQ(cursor.value("backup", ""), pinned_);
  EXPECT_EQ(cursor.value("object", ""), "hasteward/standby-cursors/shop-dr.json");
}

TEST_F(StandbyCursorTest, PruneWithALiveCursorKeepsThePinnedBackup) {
  std::string middle = NativeBackup();
  std::string newest = NativeBackup();
  nlohmann::json prune = Prune();
  ASSERT_LT(std::chrono::steady_clock::now() - Times().before, std::chrono::seconds(kTtlSeconds))
      << "the machine was too slow: the cursor expired before the first prune";
  ASSERT_EQ(prune["standby_cursors"].size(), 1U) << prune.dump();
  EXPECT_EQ(prune["standby_cursors"][0].value("state", ""), "live");
  EXPECT_EQ(Action(prune, pinned_).rfind("keep: ", 0), 0U) << Action(prune, pinned_);
  EXPECT_NE(Action(prune, pinned_).find("pinned by standby 'shop-dr'"), std::string::npos);
  EXPECT_EQ(Action(prune, middle).rfind("remove", 0), 0U) << Action(prune, middle);
  EXPECT_EQ(Action(prune, newest).rfind("keep", 0), 0U);
  EXPECT_TRUE(ResticLists(pinned_));
  EXPECT_FALSE(ResticLists(middle));
  ExpectResticChecks();  // with the cursor object beside restic's layout
}

TEST_F(StandbyCursorTest, PruneWithTheCursorExpiredRemovesIt) {
  // Not a poll: the expiry is a fixed instant, and nothing else can make it come sooner.
  std::this_thread::sleep_until(Times().after + std::chrono::seconds(kTtlSeconds + 2));
  nlohmann::json prune = Prune();
  ASSERT_EQ(prune["standby_cursors"].size(), 1U) << prune.dump();
  EXPECT_EQ(prune["standby_cursors"][0].value("state", ""), "expired");
  EXPECT_EQ(Action(prune, pinned_).rfind("remove", 0), 0U) << Action(prune, pinned_);
  EXPECT_FALSE(ResticLists(pinned_));
  ExpectResticChecks();
}

}  // namespace
}  // namespace hasteward::testing
