// hasteward against a real S3 server (Ceph RGW) with stock restic 0.14 as the referee: restic
// checks (--read-data) and dumps what hasteward wrote, directly and through a proxy injecting
// faults into 20% of requests; hasteward exports what restic wrote; an unreachable or failing
// server makes the command fail clearly within a bounded time and leaves no snapshot.
#include <chrono>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "support/ceph_rgw_server.h"
#include "support/fault_proxy.h"
#include "support/hasteward_env.h"

namespace hasteward::testing {
namespace {

class S3InteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rgw_ = CephRgwServer::Shared();
    ASSERT_NE(rgw_, nullptr);
    prefix_ = "it" + std::to_string(std::random_device{}());
    for (const auto& [k, v] : rgw_->ClientEnv())
      hs_.Set(k, v);
    std::mt19937_64 rng(99);
    std::string data(24 << 20, '\0');
    for (auto& c : data)
      c = static_cast<char>(rng() % 5 == 0 ? 'a' : rng());
    input_ = WriteFile(hs_.dir() + "/input.bin", data);
    input_sha_ = Sha256String(data);
  }

  std::string ViaPort(int port) const {
    return "s3:http://127.0.0.1:" + std::to_string(port) + "/" + CephRgwServer::kBucket + "/" +
           prefix_;
  }
  // restic check --read-data and dump latest (byte-identical) on the repository, directly on RGW.
  void ExpectResticVerifies() {
    std::string repo = rgw_->Location(prefix_);
    auto check = hs_.Restic({"-r", repo, "check", "--read-data"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    auto dump = hs_.Restic({"-r", repo, "dump", "latest", "db.sql"});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
    EXPECT_EQ(Sha256String(dump.out), input_sha_);
  }

  CephRgwServer* rgw_ = nullptr;
  // Every command names its repository with -r (the S3 location or a proxy in front of it).
  HastewardEnv hs_{"hs-s3-itest-", "s3-interop-pw"};
  std::string prefix_;
  std::string input_;
  std::string input_sha_;
};

TEST_F(S3InteropTest, ResticVerifiesWhatHastewardWroteToS3) {
  std::string repo = rgw_->Location(prefix_);
  auto init = hs_.Run({"-r", repo, "repo", "init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  auto backup = hs_.Run({"-r", repo, "backup", "--stdin", "--stdin-filename", "db.sql"}, input_);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  ExpectResticVerifies();
  auto check = hs_.Run({"-r", repo, "repo", "check", "--read-data"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(S3InteropTest, HastewardBacksUpThroughTwentyPercentFaults) {
  FaultProxy::Options o;
  o.upstream_port = rgw_->port();
  o.fault_rate = 0.2;
  o.seed = 4242;
  auto proxy = FaultProxy::Start(o).value();
  std::string repo = ViaPort(proxy->port());
  auto init = hs_.Run({"-r", repo, "repo", "init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  auto backup = hs_.Run({"-r", repo, "backup", "--stdin", "--stdin-filename", "db.sql"}, input_);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  std::string out = hs_.dir() + "/restored.bin";
  auto exp = hs_.Run({"-r", repo, "export", "--snapshot", "latest", "-o", out});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_EQ(Sha256File(out), input_sha_);
  auto stats = proxy->stats();
  EXPECT_GT(stats.faults, 0u) << stats.requests << " requests";
  ExpectResticVerifies();
}

TEST_F(S3InteropTest, HastewardExportsWhatResticWroteToS3) {
  std::string repo = rgw_->Location(prefix_);
  ASSERT_EQ(hs_.Restic({"-r", repo, "init"}).exit_code, 0);
  auto backup = hs_.Restic({"-r", repo, "backup", "--stdin", "--stdin-filename", "db.sql"}, input_);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  std::string out = hs_.dir() + "/exported.bin";
  auto exp = hs_.Run({"-r", repo, "export", "--snapshot", "latest", "-o", out});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_EQ(Sha256File(out), input_sha_);
}

TEST_F(S3InteropTest, UnreachableServerFailsClearlyWithinBoundedTime) {
  std::string repo = ViaPort(PickFreePort());  // nothing listens there
  auto start = std::chrono::steady_clock::now();
  auto r = hs_.Run({"-r", repo, "backup", "--stdin", "--stdin-filename", "db.sql"}, input_,
                   {{"HASTEWARD_STORAGE_RETRY_SECONDS", "5"}});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("127.0.0.1"), std::string::npos) << r.err;
  EXPECT_LT(took, std::chrono::seconds(60));
}

TEST_F(S3InteropTest, FailingServerLeavesNoSnapshot) {
  FaultProxy::Options o;
  o.upstream_port = rgw_->port();
  o.fault_rate = 0.0;
  o.faults = {FaultProxy::Fault::kError503};
  auto proxy = FaultProxy::Start(o).value();
  std::string repo = ViaPort(proxy->port());
  ASSERT_EQ(hs_.Run({"-r", repo, "repo", "init"}).exit_code, 0);
  proxy->SetFaultRate(1.0);  // from now on every request gets 503 SlowDown
  auto start = std::chrono::steady_clock::now();
  auto r = hs_.Run({"-r", repo, "backup", "--stdin", "--stdin-filename", "db.sql"}, input_,
                   {{"HASTEWARD_STORAGE_RETRY_SECONDS", "5"}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(90));
  auto snaps = hs_.Restic({"-r", rgw_->Location(prefix_), "snapshots", "--json"});
  ASSERT_EQ(snaps.exit_code, 0) << snaps.err;
  EXPECT_EQ(snaps.out.find("\"id\""), std::string::npos) << snaps.out;
}

}  // namespace
}  // namespace hasteward::testing
