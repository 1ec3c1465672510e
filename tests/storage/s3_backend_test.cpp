// The S3 driver against a real Ceph RGW: the conformance suite, pagination, and error classes.
#include "storage/s3/s3_backend.h"

#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "storage/backend_conformance.h"
#include "support/ceph_rgw_server.h"
#include "support/fault_proxy.h"

namespace hasteward::storage::testing {
namespace {

using hasteward::testing::CephRgwServer;
using hasteward::testing::FaultProxy;

std::string UniquePrefix() {
  std::random_device rd;
  return "t" + std::to_string(rd()) + "/repo";
}

s3::S3Config ConfigFor(const std::string& endpoint, const std::string& prefix) {
  s3::S3Config cfg;
  cfg.scheme = "http";
  cfg.endpoint = endpoint;
  cfg.bucket = CephRgwServer::kBucket;
  cfg.prefix = prefix;
  cfg.credentials = {CephRgwServer::kAccessKey, CephRgwServer::kSecretKey, ""};
  return cfg;
}

BackendFactory S3Factory() {
  auto prefix = std::make_shared<std::string>();
  BackendFactory f;
  f.name = "S3";
  f.make = [prefix]() -> std::unique_ptr<Backend> {
    CephRgwServer* rgw = CephRgwServer::Shared();
    if (rgw == nullptr)
      return nullptr;
    *prefix = UniquePrefix();
    return std::make_unique<s3::S3Backend>(
        ConfigFor("127.0.0.1:" + std::to_string(rgw->port()), *prefix));
  };
  f.make_failing_writer = [prefix]() -> std::unique_ptr<Backend> {
    static std::unique_ptr<FaultProxy> proxy;
    FaultProxy::Options o;
    o.upstream_port = CephRgwServer::Shared()->port();
    o.fault_rate = 1.0;
    o.faults = {FaultProxy::Fault::kResetMidRequest};
    auto p = FaultProxy::Start(o);
    if (!p.ok())
      return nullptr;
    proxy = std::move(*p);
    return std::make_unique<s3::S3Backend>(
        ConfigFor("127.0.0.1:" + std::to_string(proxy->port()), *prefix));
  };
  return f;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(S3, BackendConformanceTest, ::testing::Values(S3Factory()),
                         BackendFactoryName);

class S3BackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rgw_ = CephRgwServer::Shared();
    ASSERT_NE(rgw_, nullptr);
  }
  s3::S3Config Config(const std::string& prefix) {
    return ConfigFor("127.0.0.1:" + std::to_string(rgw_->port()), prefix);
  }
  CephRgwServer* rgw_ = nullptr;
};

TEST_F(S3BackendTest, ListFollowsContinuationTokensPastOneThousandKeys) {
  s3::S3Backend b(Config(UniquePrefix()));
  constexpr int kCount = 1100;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kCount; i += 8) {
        auto o = MakeTestObject(FileType::kIndex, 8, static_cast<uint32_t>(i));
        EXPECT_TRUE(b.Save(o.handle, o.data).ok());
      }
    });
  }
  for (auto& th : threads)
    th.join();
  std::set<std::string> names;
  ASSERT_TRUE(b.List(FileType::kIndex, [&](const FileInfo& fi) {
                 names.insert(fi.name);
                 return core::Status::Ok();
               }).ok());
  EXPECT_EQ(names.size(), static_cast<size_t>(kCount));
}

TEST_F(S3BackendTest, KeysFollowResticsLayout) {
  s3::S3Backend b(Config("p/q"));
  std::string id(64, 'a');
  id[0] = '3';
  id[1] = 'f';
  EXPECT_EQ(b.KeyOf(Handle{FileType::kConfig, ""}), "p/q/config");
  EXPECT_EQ(b.KeyOf(Handle{FileType::kPack, id}), "p/q/data/3f/" + id);
  EXPECT_EQ(b.KeyOf(Handle{FileType::kKey, id}), "p/q/keys/" + id);
  EXPECT_EQ(b.KeyOf(Handle{FileType::kSnapshot, id}), "p/q/snapshots/" + id);
  EXPECT_EQ(b.KeyOf(Handle{FileType::kIndex, id}), "p/q/index/" + id);
  EXPECT_EQ(b.KeyOf(Handle{FileType::kLock, id}), "p/q/locks/" + id);
  EXPECT_EQ(s3::S3Backend(Config("")).KeyOf(Handle{FileType::kConfig, ""}), "config");
}

TEST_F(S3BackendTest, WrongSecretIsAPermanentError) {
  auto cfg = Config(UniquePrefix());
  cfg.credentials.secret_key = "wrong";
  s3::S3Backend b(cfg);
  auto o = MakeTestObject(FileType::kKey, 10, 1);
  auto st = b.Save(o.handle, o.data);
  EXPECT_EQ(st.code(), core::ErrorCode::kStorage);
  EXPECT_FALSE(st.retryable()) << st.ToString();
  core::Status list_st = b.List(FileType::kKey, [](const FileInfo&) { return core::Status::Ok(); });
  EXPECT_FALSE(list_st.ok()) << "a listing error must never look like an empty list";
}

TEST_F(S3BackendTest, CreateMakesAMissingBucket) {
  auto cfg = Config("x");
  cfg.bucket = "fresh-" + std::to_string(std::random_device{}());
  s3::S3Backend b(cfg);
  ASSERT_TRUE(b.Create().ok());
  ASSERT_TRUE(b.Create().ok());
  auto o = MakeTestObject(FileType::kSnapshot, 10, 2);
  EXPECT_TRUE(b.Save(o.handle, o.data).ok());
}

// Object Lock (docs/object-lock.md): S3 enables it only when a bucket is created, so an existing
// bucket without it is refused rather than given a repository that only looks protected.
TEST_F(S3BackendTest, ObjectLockIsRefusedOnABucketCreatedWithoutIt) {
  s3::S3Backend b(Config(UniquePrefix()));
  auto enabled = b.Enable(std::chrono::seconds(600));
  EXPECT_EQ(enabled.code(), core::ErrorCode::kUsage) << enabled.ToString();
  EXPECT_NE(enabled.ToString().find("has no Object Lock"), std::string::npos);
}

TEST_F(S3BackendTest, ObjectLockRetainsDataKindsAndLeavesLocksAndIndexRemovable) {
  auto cfg = Config("repo");
  cfg.bucket = "hs-lock-unit-" + std::to_string(std::random_device{}() % 1000000);
  s3::S3Backend b(cfg);
  ASSERT_TRUE(b.Enable(std::chrono::seconds(600)).ok());
  auto pack = MakeTestObject(FileType::kPack, 100, 1);
  auto lock = MakeTestObject(FileType::kLock, 10, 2);
  auto index = MakeTestObject(FileType::kIndex, 10, 3);
  for (const auto* o : {&pack, &lock, &index})
    ASSERT_TRUE(b.Save(o->handle, o->data).ok());

  auto until = b.RetainUntil(pack.handle);
  ASSERT_TRUE(until.ok() && until->has_value());
  EXPECT_GT(**until, core::SystemClock::Get().Now() + std::chrono::seconds(590));
  EXPECT_EQ(b.Remove(pack.handle).code(), core::ErrorCode::kSafetyStop);
  EXPECT_TRUE(b.Stat(pack.handle).ok());
  for (const auto* o : {&lock, &index}) {
    auto free = b.RetainUntil(o->handle);
    ASSERT_TRUE(free.ok());
    EXPECT_FALSE(free->has_value());
    EXPECT_TRUE(b.Remove(o->handle).ok());
    EXPECT_EQ(b.Stat(o->handle).status().code(), core::ErrorCode::kNotFound);
  }
  // Removed by version: nothing of the lock stays behind (no old version, no delete marker).
  hasteward::testing::CephRgwServer::Call versions;
  versions.method = "GET";
  versions.bucket = cfg.bucket;
  versions.query = {{"versions", ""}, {"prefix", b.KeyOf(lock.handle)}};
  auto listed = rgw_->Request(versions);
  ASSERT_TRUE(listed.ok() && listed->status == 200);
  EXPECT_EQ(core::AsString(listed->body).find("<Key>"), std::string::npos)
      << core::AsString(listed->body);
  // Another process reads the period from the record.
  auto period = s3::S3Backend(cfg).Period();
  ASSERT_TRUE(period.ok() && period->has_value());
  EXPECT_EQ(**period, std::chrono::seconds(600));
}

}  // namespace hasteward::storage::testing
