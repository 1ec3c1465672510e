// `hasteward standby verify` across two sandbox "sites" (each its own state dir and inventory)
// sharing one S3 repository on Ceph RGW, driving the real binary. A story (one ctest test, in
// order): the DR site restores the source's newest native backup in a scratch instance of its own
// and Restorable becomes True, with no scratch instance or directory left and nothing written to
// the source's repository; a second run restores nothing (gated, seed 003); a newer source backup
// is verified again; a damaged newest backup fails with VerificationFailed, keeps failing without
// a restore until forced, and activation is refused without acceptUnverified.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/temp_dir.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/standby_sites.h"

namespace hasteward::testing {
namespace {

constexpr char kPassword[] = "standby-verify-test";

using Site = StandbySite;

class StandbyVerifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto sites = StandbySites::Start({.engine = platform::EngineKind::kPostgres,
                                      .instances = 1,
                                      .name = "shop",
                                      .password = kPassword,
                                      .temp_prefix = "hs-drverify-"});
    if (!sites.ok()) {
      suite_error_ = sites.status().ToString();
      return;
    }
    sites_ = std::move(*sites).release();
    // The source is not probed here (nothing listens at port 1): activation is refused only for
    // what this story checks, Restorable.
    config_ = sites_->Declare(Dr(), Source(), "shop-dr", "", "1");
    // A native backup brings the source's roles and passwords: the DR site verifies (and would
    // activate) it with the source's credentials, as standby_activation_test does.
    if (core::Status shared = StandbySites::ShareCredentials(Source(), Dr()); !shared.ok()) {
      suite_error_ = shared.ToString();
      return;
    }
    // The scratch instances live under the state dir's verify/; a sandbox site's state dir is
    // deep enough that a scratch server's socket path would pass the 107-byte limit of a Unix
    // socket name, so the DR commands here use a short one (the DR site's inventory and the
    // standby's state file are named explicitly and stay where they are).
    auto scratch = core::TempDir::Create("hsv-");
    if (!scratch.ok()) {
      suite_error_ = scratch.status().ToString();
      return;
    }
    scratch_ = new core::TempDir(std::move(*scratch));
    ::chmod(scratch_->path().c_str(), 0755);  // the scratch server's OS user traverses it
  }

  static void TearDownTestSuite() {
    delete scratch_;
    scratch_ = nullptr;
    delete sites_;
    sites_ = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(suite_error_.empty()) << suite_error_; }

  static Site& Source() { return sites_->source(); }
  static Site& Dr() { return sites_->dr(); }

  static std::string Sql(Site& site, const std::string& sql) {
    auto rows = site.cluster->Sql(0, sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString() << " for " << sql;
    return rows.ok() ? rows->substr(0, rows->find('\n')) : "";
  }

  // A native backup (what an activation restores, so the only kind a standby verifies); its ID.
  static std::string NativeBackup() {
    auto run = Source().Hs({"backup", "--method", "native", "--json"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto summary = nlohmann::json::parse(run.out.substr(run.out.rfind("{\"")), nullptr, false);
    return summary.is_object() ? summary.value("snapshot_id", "") : "";
  }

  // NOLINTNEXTLINE(bugprone-exception-escape): a test's result holder; a throw fails the test
  struct Run {
    int exit_code = -1;
    nlohmann::json json;
    std::string err;
  };

  static Run Standby(const std::string& verb, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"standby", verb, "shop-dr", "--config", config_, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto run = Dr().env->Run(args, "", {{"HASTEWARD_STATE_DIR", scratch_->path()}});
    Run out{run.exit_code, nlohmann::json::parse(run.out, nullptr, false), run.err};
    EXPECT_TRUE(out.json.is_object()) << run.out << run.err;
    return out;
  }

  static nlohmann::json Restorable(const Run& run) {
    for (const auto& condition : run.json.value("conditions", nlohmann::json::array())) {
      if (condition.value("type", "") == "Restorable") {
        return condition;
      }
    }
    return nlohmann::json::object();
  }

  // Run directories of scratch instances left under the DR site's verify root.
  static std::vector<std::string> ScratchLeftovers() {
    std::vector<std::string> left;
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator(scratch_->path() + "/verify", error)) {
      left.push_back(entry.path().string());
    }
    return left;
  }

  inline static StandbySites* sites_ = nullptr;
  inline static std::string config_;
  inline static std::string suite_error_;
  inline static std::string first_;
  inline static core::TempDir* scratch_ = nullptr;
};

TEST_F(StandbyVerifyTest, RestoresTheNewestBackupAtTheDrSiteAndLeavesNothingBehind) {
  Sql(Source(), "CREATE TABLE orders (id int PRIMARY KEY, note text)");
  Sql(Source(), "INSERT INTO orders SELECT g, 'row ' || g FROM generate_series(1, 100) g");
  first_ = NativeBackup();
  ASSERT_FALSE(first_.empty());
  Run before = Standby("status");
  EXPECT_EQ(Restorable(before).value("reason", ""), "NotYetVerified") << before.json;
  Run verified = Standby("verify");
  ASSERT_EQ(verified.exit_code, 0) << verified.json << verified.err;
  EXPECT_TRUE(verified.json.value("ran", false));
  EXPECT_EQ(verified.json["verification"].value("snapshotId", ""), first_);
  EXPECT_EQ(verified.json["verification"].value("result", ""), "Passed");
  EXPECT_EQ(Restorable(verified).value("status", ""), "True");
  EXPECT_TRUE(ScratchLeftovers().empty()) << "the scratch instance is torn down once proven";
  Run status = Standby("status");
  EXPECT_EQ(Restorable(status).value("reason", ""), "Verified") << status.json;
  EXPECT_EQ(status.json["verification"].value("snapshotId", ""), first_);
  // The proof stays at the DR site: no verification snapshot in the source's repository.
  EXPECT_EQ(status.json["discovered"].value("verifications", -1), 0);
}

TEST_F(StandbyVerifyTest, ASecondRunRestoresNothing) {
  Run first = Standby("status");
  const int64_t verified_at = first.json["verification"].value("verifiedAt", int64_t{0});
  Run again = Standby("verify");
  EXPECT_EQ(again.exit_code, 0) << again.json << again.err;
  EXPECT_FALSE(again.json.value("ran", true));
  EXPECT_EQ(again.json["gate"].value("reason", ""), "AlreadyVerified");
  EXPECT_EQ(again.json["verification"].value("verifiedAt", int64_t{-1}), verified_at);
  auto text = Dr().env->Run({"standby", "verify", "shop-dr", "--config", config_}, "",
                            {{"HASTEWARD_STATE_DIR", scratch_->path()}});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("nothing restored"), std::string::npos) << text.out;
}

TEST_F(StandbyVerifyTest, ANewerSourceBackupIsVerifiedAgain) {
  Sql(Source(), "INSERT INTO orders VALUES (101, 'after the first backup')");
  std::string newer = NativeBackup();
  ASSERT_FALSE(newer.empty());
  Run stale = Standby("status");
  EXPECT_EQ(Restorable(stale).value("reason", ""), "NotYetVerified") << stale.json;
  Run verified = Standby("verify");
  ASSERT_EQ(verified.exit_code, 0) << verified.json << verified.err;
  EXPECT_EQ(verified.json["gate"].value("reason", ""), "NewBackup");
  EXPECT_EQ(verified.json["verification"].value("snapshotId", ""), newer);
  EXPECT_EQ(Restorable(verified).value("reason", ""), "Verified");
  EXPECT_TRUE(ScratchLeftovers().empty());
}

TEST_F(StandbyVerifyTest, ADamagedNewestBackupFailsAndActivationIsRefused) {
  // The newest backup: a native backup of the source cluster whose tree is no data directory
  // (its base tar cut short, as a crashed writer of another tool could leave it).
  std::string junk = Source().env->Path("base.tar");
  WriteFile(junk, std::string(4096, 'x'));
  auto stored = Source().env->Run(
      {"backup", "--stdin", "--stdin-filename", "src/shop/base.tar", "--tag",
       "engine=cnpg,cluster=shop,namespace=src,type=backup,method=native,timeline=1,start_lsn=0/"
       "9000028,stop_lsn=0/9000100",
       "--json"},
      junk);
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  const std::string bad = nlohmann::json::parse(stored.out).value("snapshot_id", "");
  Run failed = Standby("verify");
  EXPECT_EQ(failed.exit_code, 28) << failed.json << failed.err;
  EXPECT_EQ(failed.json["verification"].value("snapshotId", ""), bad);
  EXPECT_EQ(failed.json["verification"].value("result", ""), "Failed");
  EXPECT_EQ(Restorable(failed).value("reason", ""), "VerificationFailed");
  EXPECT_FALSE(Restorable(failed).value("message", "").empty()) << Restorable(failed);
  EXPECT_TRUE(ScratchLeftovers().empty()) << "torn down whatever the outcome";
  Run not_due = Standby("verify");
  EXPECT_EQ(not_due.exit_code, 28);
  EXPECT_EQ(not_due.json["gate"].value("reason", ""), "RetryNotDue") << not_due.json;
  Run status = Standby("status");
  EXPECT_EQ(status.exit_code, 4);
  EXPECT_EQ(Restorable(status).value("reason", ""), "VerificationFailed");
  auto refused = StandbySites::Activate(Dr(), config_, "2026-11-24T10:00:00Z");
  EXPECT_EQ(refused.exit_code, 24) << refused.err;
  EXPECT_NE(refused.err.find("not Restorable"), std::string::npos) << refused.err;
  EXPECT_TRUE(StandbySites::Record(Dr(), "shop-dr").is_null()) << "a refusal records nothing";
  Run forced = Standby("verify", {"--force"});
  EXPECT_EQ(forced.json["gate"].value("reason", ""), "Forced");
  EXPECT_EQ(forced.exit_code, 28) << "still damaged";
}

}  // namespace
}  // namespace hasteward::testing
