// Through a fault-injecting proxy (500/503/slow/reset/truncated body on 20% of requests) in front
// of a real Ceph RGW and of our REST server, Save/Load/List via OpenBackend (retry decorator)
// succeed and every stored object's content hash equals its name; an unreachable server fails
// clearly within a bounded time.
#include <chrono>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "storage/backend_conformance.h"
#include "storage/registry.h"
#include "storage/s3/sigv4.h"
#include "support/ceph_rgw_server.h"
#include "support/fault_proxy.h"
#include "support/rest_test_server.h"

namespace hasteward::storage::testing {
namespace {

using hasteward::testing::CephRgwServer;
using hasteward::testing::FaultProxy;
using hasteward::testing::RestTestServer;

OpenOptions FastRetries() {
  OpenOptions o;
  o.retry_options.initial_backoff = std::chrono::milliseconds(20);
  o.retry_options.max_backoff = std::chrono::milliseconds(500);
  o.retry_options.max_total = std::chrono::milliseconds(30000);
  o.retry_options.max_attempts = 30;
  return o;
}

// Saves, loads back (whole and ranged) and lists 40 objects through `b`.
void ExerciseThroughFaults(Backend& b, std::map<std::string, core::Bytes>* saved) {
  ASSERT_TRUE(b.Create().ok());
  for (uint32_t i = 0; i < 40; ++i) {
    auto o =
        MakeTestObject(i % 4 == 0 ? FileType::kIndex : FileType::kPack, 1000 + i * 20011, 500 + i);
    auto st = b.Save(o.handle, o.data);
    ASSERT_TRUE(st.ok()) << st.ToString();
    (*saved)[o.handle.name] = o.data;
    core::Bytes got;
    st = b.Load(o.handle, 0, 0, &got);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(got, o.data);
    st = b.Load(o.handle, 100, 500, &got);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(got, core::Bytes(o.data.begin() + 100, o.data.begin() + 600));
  }
  size_t listed = 0;
  for (FileType t : {FileType::kPack, FileType::kIndex}) {
    auto st = b.List(t, [&](const FileInfo& fi) {
      ++listed;
      EXPECT_TRUE(saved->count(fi.name)) << fi.name;
      return core::Status::Ok();
    });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_EQ(listed, saved->size());
}

// Every object the backend holds has content hashing to its name.
void ExpectContentMatchesNames(Backend& b, size_t want) {
  size_t n = 0;
  for (FileType t : {FileType::kPack, FileType::kIndex}) {
    ASSERT_TRUE(b.List(t, [&](const FileInfo& fi) {
                   core::Bytes data;
                   HS_TRY(b.Load(Handle{t, fi.name}, 0, 0, &data));
                   EXPECT_EQ(s3::Sha256Hex(data), fi.name);
                   EXPECT_EQ(data.size(), fi.size);
                   ++n;
                   return core::Status::Ok();
                 }).ok());
  }
  EXPECT_EQ(n, want);
}

std::unique_ptr<FaultProxy> StartProxy(int upstream, uint32_t seed) {
  FaultProxy::Options o;
  o.upstream_port = upstream;
  o.fault_rate = 0.2;
  o.seed = seed;
  o.slow_delay = std::chrono::milliseconds(200);
  return FaultProxy::Start(o).value();
}

TEST(FaultToleranceTest, S3ThroughTwentyPercentFaultsStoresExactContent) {
  CephRgwServer* rgw = CephRgwServer::Shared();
  ASSERT_NE(rgw, nullptr);
  rgw->ExportClientEnv();
  auto proxy = StartProxy(rgw->port(), 20240601);
  std::string prefix = "faults" + std::to_string(std::random_device{}());
  auto b = OpenBackend("s3:http://127.0.0.1:" + std::to_string(proxy->port()) + "/" +
                           CephRgwServer::kBucket + "/" + prefix,
                       FastRetries());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  std::map<std::string, core::Bytes> saved;
  ExerciseThroughFaults(**b, &saved);
  auto stats = proxy->stats();
  SCOPED_TRACE("proxy saw " + std::to_string(stats.requests) + " requests, " +
               std::to_string(stats.faults) + " faults");
  EXPECT_GT(stats.faults, stats.requests / 10);
  EXPECT_GT((*b)->Counts().retries, 0u);
  auto direct = OpenBackend(rgw->Location(prefix));
  ASSERT_TRUE(direct.ok());
  ExpectContentMatchesNames(**direct, saved.size());
}

TEST(FaultToleranceTest, RestThroughTwentyPercentFaultsStoresExactContent) {
  auto dir = core::TempDir::Create("hs-rest-faults-").value();
  auto server = RestTestServer::Start(dir.path()).value();
  auto proxy = StartProxy(server->port(), 77);
  auto b =
      OpenBackend("rest:http://127.0.0.1:" + std::to_string(proxy->port()) + "/r/", FastRetries());
  ASSERT_TRUE(b.ok());
  std::map<std::string, core::Bytes> saved;
  ExerciseThroughFaults(**b, &saved);
  EXPECT_GT(proxy->stats().faults, 0u);
  auto direct = OpenBackend(server->Location("r/"));
  ASSERT_TRUE(direct.ok());
  ExpectContentMatchesNames(**direct, saved.size());
}

TEST(FaultToleranceTest, UnreachableServerFailsClearlyWithinTheBudget) {
  setenv("AWS_ACCESS_KEY_ID", "x", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "y", 1);
  int port = hasteward::testing::PickFreePort();  // nothing listens there
  OpenOptions o = FastRetries();
  o.retry_options.max_total = std::chrono::milliseconds(3000);
  for (const std::string& loc : {"s3:http://127.0.0.1:" + std::to_string(port) + "/b/p",
                                 "rest:http://127.0.0.1:" + std::to_string(port) + "/"}) {
    auto b = OpenBackend(loc, o);
    ASSERT_TRUE(b.ok());
    auto start = std::chrono::steady_clock::now();
    auto obj = MakeTestObject(FileType::kSnapshot, 10, 1);
    auto st = (*b)->Save(obj.handle, obj.data);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(st.code(), core::ErrorCode::kStorage) << loc;
    EXPECT_NE(st.message().find("giving up after"), std::string::npos) << st.ToString();
    EXPECT_NE(st.message().find("127.0.0.1"), std::string::npos) << st.ToString();
    EXPECT_LT(took, std::chrono::seconds(10)) << loc;
    int listed = 0;
    EXPECT_FALSE((*b)->List(FileType::kSnapshot,
                            [&](const FileInfo&) {
                              ++listed;
                              return core::Status::Ok();
                            })
                     .ok())
        << "an unreachable server is an error, never an empty listing";
  }
}

}  // namespace
}  // namespace hasteward::storage::testing
