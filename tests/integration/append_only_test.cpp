// Append-only credentials (docs/append-only.md) in both forms: a REST server acting as
// `rest-server --append-only` (DELETE refused outside locks/) and Ceph RGW with a second user
// under the documented bucket policy. Backups and `repo check` work; prune and `repo key passwd`
// are refused with the append-only hint before anything changed (stock restic 0.14 lists the same
// files and its check passes); with delete rights the same prune runs.
#include <map>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/ceph_rgw_server.h"
#include "support/hasteward_env.h"
#include "support/rest_test_server.h"

namespace hasteward::testing {
namespace {

constexpr int kSegments = 8;
constexpr size_t kSegmentSize = 512 << 10;

// Day d's dump: 8 segments of 512 KiB of which day d replaces one, so consecutive dumps share most
// chunks and forgetting one leaves its pack partly used.
std::string Dump(int day) {
  std::string out;
  for (int i = 0; i < kSegments; ++i) {
    std::mt19937_64 rng(static_cast<uint64_t>(i) * 1000 + (i == day % kSegments ? day : 0));
    std::string segment(kSegmentSize, '\0');
    for (auto& c : segment)
      c = static_cast<char>(rng());
    out += segment;
  }
  return out;
}

// Where the repository lives: restic's REST protocol or S3 (Ceph RGW).
enum class Form { kRest, kRgw };

class AppendOnlyTest : public ::testing::TestWithParam<Form> {
 protected:
  void SetUp() override {
    hs_.Set("HASTEWARD_STORAGE_RETRY_SECONDS", "0");
    if (GetParam() == Form::kRest) {
      auto server = RestTestServer::Start(hs_.Path("rest"));
      ASSERT_TRUE(server.ok()) << server.status().ToString();
      rest_ = std::move(*server);
      hs_.UseRepository(rest_->Location("repo/"));
    } else {
      rgw_ = CephRgwServer::Shared();
      ASSERT_NE(rgw_, nullptr);
      std::string prefix = "append-only-" + std::to_string(std::random_device{}());
      ASSERT_TRUE(rgw_->AddAppendOnlyUser(prefix).ok());
      hs_.UseRepository(rgw_->Location(prefix));
    }
    SetAppendOnly(false);
    ASSERT_EQ(hs_.Run({"repo", "init"}).exit_code, 0);
  }

  // REST: the server refuses deletes as `rest-server --append-only`; RGW: hasteward and restic
  // use the append-only user's keys instead of the bucket owner's.
  void SetAppendOnly(bool on) {
    if (rest_ != nullptr) {
      rest_->SetAppendOnly(on);
      return;
    }
    auto keys = on ? rgw_->AppendOnlyClientEnv() : rgw_->ClientEnv();
    hs_.Set(HastewardEnv::EnvVars(keys.begin(), keys.end()));
  }

  // Backs up day `day`'s dump at 10:00 that day; returns the snapshot ID.
  std::string Backup(int day) {
    std::string in = WriteFile(hs_.Path("dump-" + std::to_string(day)), Dump(day));
    char time[32];
    std::snprintf(time, sizeof(time), "2023-01-%02d 10:00:00", day);
    auto r = hs_.Run({"backup", "--stdin", "--stdin-filename", "ns/db1/dump.sql", "--tag",
                      "engine=cnpg,cluster=db1,namespace=ns,type=backup", "--time", time, "--json"},
                     in);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out).value("snapshot_id", "") : "";
  }

  // Every file of the repository but the locks (each command writes and removes its own: both
  // append-only forms allow that), as stock restic lists them.
  std::map<std::string, std::string> Files() const {
    std::map<std::string, std::string> files;
    for (const char* type : {"keys", "snapshots", "index", "packs"}) {
      auto list = hs_.Restic({"list", type, "--no-lock"});
      EXPECT_EQ(list.exit_code, 0) << list.err;
      files[type] = list.out;
    }
    return files;
  }

  static void ExpectRefused(const CmdResult& r, const std::string& command) {
    EXPECT_EQ(r.exit_code, 14) << r.err;
    EXPECT_NE(r.err.find(command + " must delete files"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("HINT: these credentials are append-only"), std::string::npos) << r.err;
  }

  void ExpectResticCheckPasses() const {
    auto check = hs_.Restic({"check"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }

  HastewardEnv hs_{"hs-append-only-", "append-only-test"};
  std::unique_ptr<RestTestServer> rest_;
  CephRgwServer* rgw_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(Forms, AppendOnlyTest, ::testing::Values(Form::kRest, Form::kRgw),
                         [](const ::testing::TestParamInfo<Form>& form) {
                           return form.param == Form::kRest ? "Rest" : "Rgw";
                         });

TEST_P(AppendOnlyTest, BackupAndCheckWorkPruneIsRefusedAndRunsWithDeleteRights) {
  Backup(1);
  SetAppendOnly(true);
  Backup(2);
  Backup(3);
  auto check = hs_.Run({"repo", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  auto before = Files();
  std::vector<std::string> prune = {"prune", "--keep-last",   "1", "--keep-daily",
                                    "0",     "--keep-weekly", "0", "--keep-monthly",
                                    "0"};

  // Forgets two snapshots: a prune whose first delete would be a snapshot file.
  ExpectRefused(hs_.Run(prune), "prune");
  EXPECT_EQ(Files(), before);
  ExpectResticCheckPasses();
  auto dry_run = hs_.Run({"prune", "--keep-last", "1", "--dry-run"});
  EXPECT_EQ(dry_run.exit_code, 0) << dry_run.err;  // deletes nothing: allowed
  // Where the repository is writable with delete rights, the same prune runs.
  SetAppendOnly(false);
  auto pruned = hs_.Run(prune);
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  auto snapshots = hs_.Restic({"snapshots", "--json"});
  ASSERT_EQ(snapshots.exit_code, 0) << snapshots.err;
  EXPECT_EQ(nlohmann::json::parse(snapshots.out).size(), 1u);
  ExpectResticCheckPasses();
}

TEST_P(AppendOnlyTest, PruneThatOnlyRepacksIsRefusedBeforeWritingAnyPack) {
  std::string first = Backup(1);
  Backup(2);
  // Forgotten with delete rights (stock restic, no prune): day 1's own data becomes unused in a
  // pack day 2 still uses, so the prune below forgets nothing and repacks: it would write new
  // packs and an index before its first delete.
  auto forget = hs_.Restic({"forget", first});
  ASSERT_EQ(forget.exit_code, 0) << forget.err;
  SetAppendOnly(true);
  auto before = Files();

  ExpectRefused(hs_.Run({"prune", "--max-unused", "0%"}), "prune");
  EXPECT_EQ(Files(), before);
  ExpectResticCheckPasses();
}

TEST_P(AppendOnlyTest, KeyPasswdIsRefusedBeforeAddingAKey) {
  SetAppendOnly(true);
  std::string password = WriteFile(hs_.Path("new-password"), "another-password\n");
  auto before = Files();

  ExpectRefused(hs_.Run({"repo", "key", "passwd", "--new-password-file", password}),
                "repo key passwd");
  EXPECT_EQ(Files(), before);
}

}  // namespace
}  // namespace hasteward::testing
