// `hasteward mount` of a snapshot on a real S3 server (Ceph RGW) through a proxy that injects a
// fault (500, 503, slow, reset, truncated body) into 20 % of requests: every byte read through
// the mount equals the backed-up content (the backend's retries absorb the faults, and a blob is
// verified before it is served), and reads never come back short or as zeros.
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/ceph_rgw_server.h"
#include "support/command.h"
#include "support/fault_proxy.h"
#include "support/hasteward_env.h"
#include "support/mount_process.h"

namespace hasteward::testing {
namespace {

TEST(MountS3FaultsTest, ServesCorrectBytesThroughTwentyPercentFaults) {
  if (std::string reason = FuseUnavailableReason(); !reason.empty())
    GTEST_SKIP() << "FUSE is not usable here: " << reason;
  CephRgwServer* rgw = CephRgwServer::Shared();
  ASSERT_NE(rgw, nullptr);
  HastewardEnv hs("hs-mount-s3-", "mount-s3-pw");
  for (const auto& [k, v] : rgw->ClientEnv())
    hs.Set(k, v);
  std::string prefix = "mnt" + std::to_string(std::random_device{}());
  hs.UseRepository(rgw->Location(prefix));
  ASSERT_EQ(hs.Run({"repo", "init"}).exit_code, 0);
  std::mt19937_64 rng(35);
  std::string data(20 << 20, '\0');
  for (auto& c : data)
    c = static_cast<char>(rng() % 5 == 0 ? 'a' : rng());
  std::string input = WriteFile(hs.Path("input.bin"), data);
  auto backup = hs.Run({"backup", "--stdin", "--stdin-filename", "db/dump.sql"}, input);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;

  FaultProxy::Options o;
  o.upstream_port = rgw->port();
  o.fault_rate = 0.2;
  o.seed = 3535;
  auto proxy = FaultProxy::Start(o);
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
  hs.UseRepository("s3:http://127.0.0.1:" + std::to_string((*proxy)->port()) + "/" +
                   CephRgwServer::kBucket + "/" + prefix);
  std::string mountpoint = hs.Path("mnt");
  std::filesystem::create_directory(mountpoint);
  // A small cache and no readahead: every blob is fetched through the proxy, several times.
  auto mount =
      MountProcess::Start({"--cache-size", "1", "--readahead", "0"}, mountpoint, hs.vars());
  ASSERT_TRUE(mount.ok()) << mount.status().ToString();
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(Sha256File(mountpoint + "/db/dump.sql"), Sha256String(data)) << "round " << round;
  }
  EXPECT_EQ((*mount)->Stop(SIGTERM), 0) << (*mount)->err();
  auto stats = (*proxy)->stats();
  EXPECT_GT(stats.faults, 0u) << stats.requests << " requests";
  EXPECT_EQ((*mount)->err().find("failed and were answered with an i/o error"), std::string::npos)
      << (*mount)->err();
}

}  // namespace
}  // namespace hasteward::testing
