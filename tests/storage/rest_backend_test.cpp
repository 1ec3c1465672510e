// The REST driver and our rest-server-protocol test server: conformance (through OpenBackend, so
// with the decorators), atomicity through a connection-resetting proxy, and stock restic 0.14
// driving the server end to end (init, backup --stdin, check --read-data, dump).
#include "storage/rest/rest_backend.h"

#include <random>
#include <set>

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "storage/backend_conformance.h"
#include "storage/registry.h"
#include "storage/restic_cli.h"
#include "storage/s3/sigv4.h"
#include "support/fault_proxy.h"
#include "support/rest_test_server.h"

namespace hasteward::storage::testing {
namespace {

using hasteward::testing::FaultProxy;
using hasteward::testing::RestTestServer;

struct RestEnv {
  std::unique_ptr<core::TempDir> dir;
  std::unique_ptr<RestTestServer> server;
  std::unique_ptr<FaultProxy> proxy;
};

RestEnv& Env() {
  static RestEnv env;
  if (!env.server) {
    auto dir = core::TempDir::Create("hs-rest-test-");
    env.dir = std::make_unique<core::TempDir>(std::move(*dir));
    env.server = RestTestServer::Start(env.dir->path()).value();
  }
  return env;
}

BackendFactory RestFactory() {
  auto path = std::make_shared<std::string>();
  BackendFactory f;
  f.name = "Rest";
  f.make = [path]() -> std::unique_ptr<Backend> {
    static int counter = 0;
    *path = "repo" + std::to_string(++counter) + "/";
    auto b = OpenBackend(Env().server->Location(*path));
    return b.ok() ? std::move(*b) : nullptr;
  };
  f.make_failing_writer = [path]() -> std::unique_ptr<Backend> {
    FaultProxy::Options o;
    o.upstream_port = Env().server->port();
    o.fault_rate = 1.0;
    o.faults = {FaultProxy::Fault::kResetMidRequest};
    Env().proxy = FaultProxy::Start(o).value();
    auto cfg = rest::ParseRestLocation(
        "rest:http://127.0.0.1:" + std::to_string(Env().proxy->port()) + "/" + *path);
    return std::make_unique<rest::RestBackend>(*cfg);
  };
  return f;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng());
  return s;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Rest, BackendConformanceTest, ::testing::Values(RestFactory()),
                         BackendFactoryName);

TEST(RestBackendTest, ServerRejectsABodyThatDoesNotHashToItsName) {
  OpenOptions no_retry;
  no_retry.retry = false;
  auto b = OpenBackend(Env().server->Location("hash/"), no_retry);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Create().ok());
  auto o = MakeTestObject(FileType::kPack, 100, 1);
  o.data[0] ^= 1;  // corrupted in transit: the server's hash check refuses it
  auto st = (*b)->Save(o.handle, o.data);
  EXPECT_EQ(st.code(), core::ErrorCode::kStorage);
  EXPECT_FALSE(st.retryable());
  EXPECT_EQ((*b)->Stat(o.handle).status().code(), core::ErrorCode::kNotFound);
}

TEST(RestBackendTest, LocationHidesThePassword) {
  auto cfg = rest::ParseRestLocation("rest:http://user:secret@127.0.0.1:8000/r");
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->url, "http://user:secret@127.0.0.1:8000/r/");
  EXPECT_EQ(rest::RestBackend(*cfg).Location(), "rest:http://user:***@127.0.0.1:8000/r/");
  EXPECT_EQ(rest::ParseRestLocation("rest:ftp://x/").status().code(), core::ErrorCode::kUsage);
}

TEST(RestBackendTest, StockResticRoundTripsThroughOurServerAndWeReadWhatItWrote) {
  std::string repo = Env().server->Location("restic/");
  std::string input = RandomBytes(6 << 20, 42);
  auto init = RunRestic(repo, {"init"}, {});
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  auto backup = RunRestic(repo, {"backup", "--stdin", "--stdin-filename", "dump.sql"}, {}, input);
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  auto check = RunRestic(repo, {"check", "--read-data"}, {});
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  auto dump = RunRestic(repo, {"dump", "latest", "dump.sql"}, {});
  ASSERT_TRUE(dump.ok()) << dump.status().ToString();
  EXPECT_TRUE(*dump == input) << "restic dump returned " << dump->size() << " bytes";

  auto ours = OpenBackend(repo);
  ASSERT_TRUE(ours.ok());
  for (FileType t : {FileType::kKey, FileType::kSnapshot, FileType::kIndex, FileType::kPack}) {
    size_t n = 0;
    auto st = (*ours)->List(t, [&](const FileInfo& fi) {
      ++n;
      core::Bytes data;
      HS_TRY((*ours)->Load(Handle{t, fi.name}, 0, 0, &data));
      EXPECT_EQ(data.size(), fi.size);
      EXPECT_EQ(s3::Sha256Hex(data), fi.name) << "content hash must equal the name";
      return core::Status::Ok();
    });
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_GT(n, 0u) << FileTypeDir(t);
  }
  EXPECT_TRUE((*ours)->Stat(Handle{FileType::kConfig, ""}).ok());
}

}  // namespace hasteward::storage::testing
