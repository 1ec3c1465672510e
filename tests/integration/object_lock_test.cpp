// S3 Object Lock on Ceph RGW (docs/object-lock.md): `repo init --object-lock` creates the bucket
// with Object Lock and records the period; backups under the append-only user's keys write packs
// and snapshots in COMPLIANCE mode. With those keys no DELETE of a pack, an index or a snapshot
// succeeds, and an overwrite leaves the locked version as it was; `repo key passwd` and prune
// before the retention ends change nothing and say until when (a policy that forgets locked
// snapshots gets the --keep-within hint); after it ends, the same prune runs and retains what the
// kept backup references for another period. Stock restic's
// check --read-data passes after every step.
#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/utc_time.h"
#include "support/ceph_rgw_server.h"
#include "support/hasteward_env.h"

namespace hasteward::testing {
namespace {

constexpr int kLockSeconds = 20;

// Day d's dump: 8 segments of 256 KiB, day d replaces one (consecutive days share the rest).
std::string Dump(int day) {
  std::string out;
  for (int i = 0; i < 8; ++i) {
    std::mt19937_64 rng(static_cast<uint64_t>(i) * 1000 + (i == day % 8 ? day : 0));
    std::string segment(256 << 10, '\0');
    for (auto& c : segment)
      c = static_cast<char>(rng());
    out += segment;
  }
  return out;
}

class ObjectLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rgw_ = CephRgwServer::Shared();
    ASSERT_NE(rgw_, nullptr);
    bucket_ = "hs-object-lock-" + std::to_string(std::random_device{}() % 1000000);
    hs_.Set("HASTEWARD_STORAGE_RETRY_SECONDS", "0");
    hs_.UseRepository("s3:" + rgw_->Endpoint() + "/" + bucket_ + "/repo");
    UseKeys(rgw_->ClientEnv());
  }

  void UseKeys(std::vector<std::pair<std::string, std::string>> keys) {
    hs_.Set(HastewardEnv::EnvVars(keys.begin(), keys.end()));
  }

  std::string Backup(int day) {
    std::string in = WriteFile(hs_.Path("dump-" + std::to_string(day)), Dump(day));
    auto r = hs_.Run({"backup", "--stdin", "--stdin-filename", "ns/db1/dump.sql", "--tag",
                      "engine=cnpg,cluster=db1,namespace=ns,type=backup", "--json"},
                     in);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out).value("snapshot_id", "") : "";
  }

  // The first file stock restic lists of `type` ("packs", "index", "snapshots").
  std::vector<std::string> List(const std::string& type) const {
    auto list = hs_.Restic({"list", type, "--no-lock"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    std::vector<std::string> names;
    for (size_t at = 0; at + 64 <= list.out.size(); at = list.out.find('\n', at) + 1) {
      names.push_back(list.out.substr(at, 64));
      if (list.out.find('\n', at) == std::string::npos)
        break;
    }
    return names;
  }

  void ExpectResticCheckPasses() const {
    auto check = hs_.Restic({"check", "--read-data"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }

  // A raw request for `key` below the repository; the bucket owner's keys unless `backup_job`.
  storage::http::HttpResponse Raw(const std::string& method, const std::string& key,
                                  CephRgwServer::Query query = {}, const std::string& body = "",
                                  bool backup_job = false) const {
    CephRgwServer::Call call;
    call.method = method;
    call.bucket = bucket_;
    call.key = "repo/" + key;
    call.query = std::move(query);
    call.body = body;
    if (backup_job) {
      call.access_key = CephRgwServer::kAppendOnlyAccessKey;
      call.secret_key = CephRgwServer::kAppendOnlySecretKey;
    }
    auto response = rgw_->Request(call);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : storage::http::HttpResponse{};
  }

  // With the backup job's keys: DELETE (plain and of the version) fails; a PUT over the key
  // leaves the locked version unchanged and still undeletable, even by the bucket owner. The
  // PUT's new version (S3 keeps every version under Object Lock) is then removed by the owner,
  // as the operator would after such an attack.
  void ExpectUndeletableAndUnchanged(const std::string& key) {
    auto current = Raw("GET", key);
    std::string version = current.Header("x-amz-version-id");
    std::string bytes = core::AsString(current.body);
    ASSERT_FALSE(version.empty()) << key;
    EXPECT_EQ(Raw("DELETE", key, {}, "", true).status, 403) << key;
    EXPECT_EQ(Raw("DELETE", key, {{"versionId", version}}, "", true).status, 403) << key;
    // S3 cannot refuse an overwrite under Object Lock: it adds a version above the locked one.
    auto overwrite = Raw("PUT", key, {}, "garbage", true);
    EXPECT_EQ(overwrite.status, 200) << key;
    // EXPECT_TRUE: a failure names the key, not a pack's bytes.
    EXPECT_TRUE(core::AsString(Raw("GET", key, {{"versionId", version}}).body) == bytes) << key;
    auto owner_delete = Raw("DELETE", key, {{"versionId", version}});
    EXPECT_EQ(owner_delete.status, 403) << key << ": " << core::AsString(owner_delete.body);
    std::string added = overwrite.Header("x-amz-version-id");
    if (overwrite.status == 200 && !added.empty() && added != version) {
      EXPECT_EQ(Raw("DELETE", key, {{"versionId", added}}).status, 204) << key;
    }
    EXPECT_TRUE(core::AsString(Raw("GET", key).body) == bytes) << key;
  }

  HastewardEnv hs_{"hs-object-lock-", "object-lock-test"};
  CephRgwServer* rgw_ = nullptr;
  std::string bucket_;
};

TEST_F(ObjectLockTest, LockedFilesSurviveTheBackupKeysAndPruneWaitsForTheRetention) {
  auto init = hs_.Run({"repo", "init", "--object-lock", std::to_string(kLockSeconds) + "s"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  // The key is locked too: replacing it must wait, and changes nothing meanwhile.
  auto keys = List("keys");
  std::string password = WriteFile(hs_.Path("new-password"), "another-password\n");
  auto passwd = hs_.Run({"repo", "key", "passwd", "--new-password-file", password});
  EXPECT_EQ(passwd.exit_code, 24) << passwd.err;
  EXPECT_NE(passwd.err.find("under object lock until"), std::string::npos) << passwd.err;
  EXPECT_EQ(List("keys"), keys);
  ASSERT_TRUE(rgw_->AddAppendOnlyUser("repo", bucket_).ok());
  UseKeys(rgw_->AppendOnlyClientEnv());
  std::string first = Backup(1);
  Backup(2);
  ExpectResticCheckPasses();

  ExpectUndeletableAndUnchanged("snapshots/" + first);
  std::string pack = List("packs").front();
  ExpectUndeletableAndUnchanged("data/" + pack.substr(0, 2) + "/" + pack);
  std::string index = List("index").front();
  // Index files are not retained (restic rebuild-index derives them from the packs); the bucket
  // policy alone keeps the backup job from deleting them.
  EXPECT_EQ(Raw("DELETE", "index/" + index, {}, "", true).status, 403);
  ExpectResticCheckPasses();

  // Forgets day 1 while it is locked: refused before anything changed, with the hint.
  UseKeys(rgw_->ClientEnv());
  auto snapshots_before = List("snapshots");
  auto packs_before = List("packs");
  auto early = hs_.Run({"prune", "--keep-last", "1"});
  EXPECT_EQ(early.exit_code, 24) << early.err;
  EXPECT_NE(early.err.find("still under object lock (the last until "), std::string::npos)
      << early.err;
  EXPECT_NE(early.err.find("nothing was changed"), std::string::npos) << early.err;
  EXPECT_NE(early.err.find("--keep-within " + std::to_string(kLockSeconds) + "s"),
            std::string::npos)
      << early.err;
  EXPECT_EQ(List("snapshots"), snapshots_before);
  EXPECT_EQ(List("packs"), packs_before);
  ExpectResticCheckPasses();

  // After the retention (polled on the files it protects), the same prune runs.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kLockSeconds + 30);
  CmdResult late = hs_.Run({"prune", "--keep-last", "1"});
  while (late.exit_code == 24 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));  // polling the retention's end
    late = hs_.Run({"prune", "--keep-last", "1"});
  }
  EXPECT_EQ(late.exit_code, 0) << late.err;
  auto after = List("snapshots");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after.front(), first);
  EXPECT_NE(List("packs"), packs_before);
  // What the kept backup references is locked again for a whole period (its retention had run
  // out): its snapshot and every pack left.
  EXPECT_NE(late.out.find("object lock: retained "), std::string::npos) << late.out;
  const std::string now = core::Rfc3339Utc(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  std::vector<std::string> kept = {"snapshots/" + after.front()};
  for (const auto& name : List("packs"))
    kept.push_back("data/" + name.substr(0, 2) + "/" + name);
  for (const auto& key : kept) {
    std::string until = Raw("HEAD", key).Header("x-amz-object-lock-retain-until-date");
    EXPECT_GT(until.substr(0, 19), now.substr(0, 19)) << key;
  }
  ExpectResticCheckPasses();
}

}  // namespace
}  // namespace hasteward::testing
