#include "platform/platform_conformance.h"

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "core/tcp_probe.h"
#include "platform/registry.h"
#include "support/trim.h"

namespace hasteward::platform::testing {

namespace {

using hasteward::testing::Trim;

// One fixture per platform for the whole suite, made on first use.
std::map<std::string, std::unique_ptr<PlatformFixture>>& Fixtures() {
  static std::map<std::string, std::unique_ptr<PlatformFixture>> fixtures;
  return fixtures;
}

constexpr char kProbeFile[] = "hasteward-conformance.txt";
constexpr std::chrono::seconds kStopBound{60};

}  // namespace

void PlatformConformanceTest::SetUp() {
  auto& slot = Fixtures()[GetParam().name];
  if (slot == nullptr) {
    auto made = GetParam().make();
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    slot = std::move(*made);
  }
  fixture_ = slot.get();
}

void PlatformConformanceTest::TearDownTestSuite() {
  Fixtures().clear();
}

std::unique_ptr<InstanceHandle> PlatformConformanceTest::OpenFirst() {
  const Instance* first = cluster().FindInstance(0);
  EXPECT_NE(first, nullptr);
  if (first == nullptr) {
    return nullptr;
  }
  auto handle = platform().OpenInstance(cluster(), *first);
  EXPECT_TRUE(handle.ok()) << handle.status().ToString();
  return handle.ok() ? std::move(*handle) : nullptr;
}

void PlatformConformanceTest::ExpectUnsupported(const core::Status& status,
                                                const std::string& call) {
  EXPECT_EQ(status.code(), core::ErrorCode::kUsage) << call << ": " << status.ToString();
  ASSERT_FALSE(GetParam().lifecycle_owner.empty())
      << "a platform without can-start-stop names its lifecycle owner in its factory";
  EXPECT_NE(status.message().find(GetParam().lifecycle_owner), std::string::npos)
      << call << " must name the owner: " << status.message();
}

TEST_P(PlatformConformanceTest, IsRegisteredUnderItsName) {
  EXPECT_EQ(platform().name(), GetParam().name);
  auto names = PlatformNames();
  EXPECT_NE(std::find(names.begin(), names.end(), GetParam().name), names.end());
}

TEST_P(PlatformConformanceTest, ResolvesAClusterByNamespaceAndName) {
  auto found = platform().FindCluster(cluster().ns, cluster().name);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->engine, EngineKind::kPostgres);
  ASSERT_EQ(found->instances.size(), cluster().instances.size());
  EXPECT_EQ(found->instances[0].name, cluster().instances[0].name);
  auto all = platform().ListClusters();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  bool listed = false;
  for (const auto& c : *all) {
    listed = listed || (c.ns == cluster().ns && c.name == cluster().name);
  }
  EXPECT_TRUE(listed) << "ListClusters must include every cluster FindCluster resolves";
}

TEST_P(PlatformConformanceTest, AnUnknownClusterIsNotFoundWithAHint) {
  auto missing = platform().FindCluster(cluster().ns, "no-such-cluster");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no-such-cluster"), std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().hint().find(cluster().name), std::string::npos)
      << "the hint lists the clusters that do exist: " << missing.status().hint();
}

TEST_P(PlatformConformanceTest, DeclaresItsCapabilities) {
  auto handle = OpenFirst();
  ASSERT_NE(handle, nullptr);
  EXPECT_EQ(handle->capabilities().Describe(), GetParam().expected_capabilities.Describe());
  // A platform whose operator restarts instances cannot promise that a stop keeps one down
  // unless it also fences: it either declares start/stop (and fences) or refuses every
  // lifecycle call naming the operator (checked in the lifecycle scenarios below).
  if (handle->capabilities().Has(Capability::kOperatorOwnsLifecycle) &&
      !handle->capabilities().Has(Capability::kCanStartStop)) {
    EXPECT_FALSE(GetParam().lifecycle_owner.empty());
  }
}

TEST_P(PlatformConformanceTest, TheEndpointAcceptsConnections) {
  auto handle = OpenFirst();
  ASSERT_NE(handle, nullptr);
  Endpoint e = handle->endpoint();
  EXPECT_GT(e.port, 0);
  EXPECT_TRUE(core::TcpAccepts(e.host, e.port)) << e.host << ":" << e.port;
}

TEST_P(PlatformConformanceTest, ExecRunsAsTheInstanceOsUser) {
  auto handle = OpenFirst();
  ASSERT_NE(handle, nullptr);
  auto who = handle->Run({"id", "-un"});
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_TRUE(who->status.ok()) << who->status.Describe() << ": " << who->err;
  EXPECT_EQ(Trim(who->out), fixture().expected_os_user());
}

TEST_P(PlatformConformanceTest, ExecReturnsExitStatusStdoutAndStderr) {
  auto handle = OpenFirst();
  ASSERT_NE(handle, nullptr);
  auto r = handle->Run({"sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status.exit_code, 3);
  EXPECT_EQ(r->out, "to-stdout\n");
  EXPECT_NE(r->err.find("to-stderr"), std::string::npos) << r->err;
}

TEST_P(PlatformConformanceTest, DataFileWriteThenReadRoundTrips) {
  auto handle = OpenFirst();
  ASSERT_NE(handle, nullptr);
  if (!handle->capabilities().Has(Capability::kDataDirFiles)) {
    ExpectUnsupported(handle->WriteDataFile(kProbeFile, "x", 0600), "WriteDataFile");
    ExpectUnsupported(handle->ReadDataFile(kProbeFile).status(), "ReadDataFile");
    return;
  }
  std::string first = "safe_to_bootstrap: 1\n";
  std::string second(100000, 'x');
  ASSERT_TRUE(handle->WriteDataFile(kProbeFile, first, 0600).ok());
  auto read = handle->ReadDataFile(kProbeFile);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, first);
  ASSERT_TRUE(handle->WriteDataFile(kProbeFile, second, 0640).ok());
  read = handle->ReadDataFile(kProbeFile);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, second);
  // The server must be able to read (and later rewrite) what HASteward wrote: it is the OS
  // user's file, with the requested mode, and no temp file is left beside it.
  std::string path = handle->instance().data_dir + "/" + kProbeFile;
  auto st = handle->Run({"stat", "-c", "%U %a", path});
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(Trim(st->out), fixture().expected_os_user() + " 640");
  auto ls = handle->Run({"ls", "-a", handle->instance().data_dir});
  ASSERT_TRUE(ls.ok());
  EXPECT_EQ(ls->out.find(std::string(kProbeFile) + "."), std::string::npos) << ls->out;
  EXPECT_TRUE(handle->Run({"rm", "-f", path}).ok());
}

TEST_P(PlatformConformanceTest, DataFileReadersSeeTheOldOrTheNewContentNeverAMix) {
  auto handle = OpenFirst();
  ASSERT_NE(handle, nullptr);
  if (!handle->capabilities().Has(Capability::kDataDirFiles)) {
    // Nothing is written, so nothing can be torn: the refusal is checked above and here.
    ExpectUnsupported(handle->WriteDataFile(kProbeFile, "a", 0600), "WriteDataFile");
    return;
  }
  constexpr size_t kSize = 1 << 20;
  const std::string a(kSize, 'a');
  const std::string b(kSize, 'b');
  ASSERT_TRUE(handle->WriteDataFile(kProbeFile, a, 0600).ok());
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!done) {
      auto got = handle->ReadDataFile(kProbeFile);
      ++reads;
      if (!got.ok() || (*got != a && *got != b)) {
        ++torn;
      }
    }
  });
  for (int n = 0; n < 40; ++n) {
    ASSERT_TRUE(handle->WriteDataFile(kProbeFile, n % 2 == 0 ? b : a, 0600).ok());
  }
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_GT(reads.load(), 0);
  EXPECT_TRUE(handle->Run({"rm", "-f", handle->instance().data_dir + "/" + kProbeFile}).ok());
}

TEST_P(PlatformConformanceTest, DataFilePathsStayInsideTheDataDirectory) {
  auto handle = OpenFirst();
  ASSERT_NE(handle, nullptr);
  for (const char* bad : {"/etc/passwd", "../escape", "pg_wal/../../escape", ""}) {
    EXPECT_EQ(handle->ReadDataFile(bad).status().code(), core::ErrorCode::kUsage) << bad;
    EXPECT_EQ(handle->WriteDataFile(bad, "x", 0600).code(), core::ErrorCode::kUsage) << bad;
  }
  if (handle->capabilities().Has(Capability::kDataDirFiles)) {
    EXPECT_EQ(handle->ReadDataFile("no-such-file").status().code(), core::ErrorCode::kNotFound);
  }
}

TEST_P(PlatformConformanceTest, StopWithinTheBoundThenStartAgain) {
  auto handle = OpenFirst();
  ASSERT_NE(handle, nullptr);
  if (!handle->capabilities().Has(Capability::kCanStartStop)) {
    ExpectUnsupported(handle->Stop(kStopBound), "Stop");
    ExpectUnsupported(handle->Start(), "Start");
    ExpectUnsupported(handle->StartNewCluster(kStopBound), "StartNewCluster");
    auto still = handle->IsRunning();
    ASSERT_TRUE(still.ok()) << still.status().ToString();
    EXPECT_TRUE(*still) << "a refused stop leaves the instance running";
    EXPECT_TRUE(core::TcpAccepts(handle->endpoint().host, handle->endpoint().port));
    return;
  }
  auto running = handle->IsRunning();
  ASSERT_TRUE(running.ok() && *running) << "the fixture's instance 0 must be running";

  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(handle->Stop(kStopBound).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, kStopBound);
  running = handle->IsRunning();
  ASSERT_TRUE(running.ok());
  EXPECT_FALSE(*running);
  EXPECT_TRUE(handle->Stop(kStopBound).ok()) << "stopping a stopped instance is ok";

  ASSERT_TRUE(handle->Start().ok());
  running = handle->IsRunning();
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(*running);
  EXPECT_TRUE(core::TcpAccepts(handle->endpoint().host, handle->endpoint().port))
      << "Start returns once the server accepts connections";
  EXPECT_TRUE(handle->Start().ok()) << "starting a running instance is ok";
}

TEST_P(PlatformConformanceTest, AFencedInstanceStaysDownUntilStarted) {
  auto handle = OpenFirst();
  ASSERT_NE(handle, nullptr);
  if (!handle->capabilities().Has(Capability::kCanStartStop)) {
    ExpectUnsupported(handle->Fence(kStopBound), "Fence");
    auto still = handle->IsRunning();
    ASSERT_TRUE(still.ok()) << still.status().ToString();
    EXPECT_TRUE(*still);
    return;
  }
  ASSERT_TRUE(handle->Fence(kStopBound).ok());
  auto running = handle->IsRunning();
  ASSERT_TRUE(running.ok());
  EXPECT_FALSE(*running);
  ASSERT_TRUE(handle->Start().ok());
  running = handle->IsRunning();
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(*running);
}

TEST_P(PlatformConformanceTest, ThePlatformShorthandsMatchTheHandle) {
  const Instance& first = *cluster().FindInstance(0);
  auto running = platform().IsRunning(cluster(), first);
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  EXPECT_TRUE(*running);
  core::SubprocessOptions o;
  o.argv = {"true"};
  auto proc = platform().Exec(cluster(), first, o);
  ASSERT_TRUE(proc.ok()) << proc.status().ToString();
  EXPECT_TRUE((*proc)->Wait().ok());
}

}  // namespace hasteward::platform::testing
