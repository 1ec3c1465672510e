// Retry semantics, decided by a scripted inner backend (FakeScriptedBackend: a test double, because
// exact error sequences cannot be produced on demand by a real server; the real-server behaviour
// is in fault_tolerance_test.cpp).
#include "storage/retry/retry_backend.h"

#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "storage/http/http_client.h"
#include "storage/limit/limit_backend.h"

namespace hasteward::storage {
namespace {

// Every call pops the next scripted status (ok once the script is empty) and counts calls.
class FakeScriptedBackend : public Backend {
 public:
  std::deque<core::Status> script;
  int calls = 0;
  std::vector<FileInfo> listing = {{"a", 1}, {"b", 2}};

  std::string Location() const override { return "fake:"; }
  core::Status Create() override { return Next(); }
  std::chrono::microseconds save_delay{0};  // widens the window in which calls overlap
  core::Status Save(const Handle&, core::ByteView) override {
    std::this_thread::sleep_for(save_delay);
    std::lock_guard lock(mu_);
    return Next();
  }
  core::Status Load(const Handle&, uint64_t, uint64_t, core::Bytes* out) override {
    out->assign({1, 2, 3});
    return Next();
  }
  core::Result<FileInfo> Stat(const Handle&) override {
    core::Status st = Next();
    if (!st.ok())
      return st;
    return FileInfo{"x", 3};
  }
  core::Status List(FileType, const std::function<core::Status(const FileInfo&)>& fn) override {
    HS_TRY(fn(listing[0]));  // the first entry is delivered before the scripted failure
    HS_TRY(Next());
    return fn(listing[1]);
  }
  core::Status Remove(const Handle&) override { return Next(); }

 private:
  std::mutex mu_;
  core::Status Next() {
    ++calls;
    if (script.empty())
      return core::Status::Ok();
    core::Status st = script.front();
    script.pop_front();
    return st;
  }
};

struct Harness {
  core::ManualClock clock{std::chrono::system_clock::time_point{}};
  std::vector<std::chrono::milliseconds> sleeps;
  FakeScriptedBackend* fake = nullptr;
  std::unique_ptr<RetryBackend> retry;

  explicit Harness(RetryOptions o = {}) {
    auto f = std::make_unique<FakeScriptedBackend>();
    fake = f.get();
    o.seed = 7;
    o.sleep = [this](std::chrono::milliseconds d) {
      sleeps.push_back(d);
      clock.Advance(d);
    };
    retry = std::make_unique<RetryBackend>(std::move(f), o, clock);
  }
};

core::Status Transient() {
  return core::StorageError("GET 'x': HTTP 503 SlowDown", true);
}

TEST(RetryBackendTest, RetriesRetryableErrorsUntilSuccess) {
  Harness h;
  h.fake->script = {Transient(), Transient(), Transient()};
  EXPECT_TRUE(h.retry->Save(Handle{FileType::kPack, "x"}, {}).ok());
  EXPECT_EQ(h.fake->calls, 4);
  EXPECT_EQ(h.retry->Counts().retries, 3u);
}

TEST(RetryBackendTest, NeverRetriesPermanentErrors) {
  Harness h;
  h.fake->script = {core::StorageError("PUT 'x': HTTP 403 AccessDenied", false)};
  EXPECT_EQ(h.retry->Save(Handle{FileType::kPack, "x"}, {}).code(), core::ErrorCode::kStorage);
  EXPECT_EQ(h.fake->calls, 1);
  h.fake->script = {core::NotFound("missing")};
  EXPECT_EQ(h.retry->Stat(Handle{FileType::kPack, "x"}).status().code(),
            core::ErrorCode::kNotFound);
  EXPECT_EQ(h.fake->calls, 2);
  EXPECT_TRUE(h.sleeps.empty());
}

TEST(RetryBackendTest, BackoffGrowsExponentiallyWithinTheJitterBand) {
  RetryOptions o;
  o.initial_backoff = std::chrono::milliseconds(100);
  o.jitter = 0.5;
  Harness h(o);
  h.fake->script = {Transient(), Transient(), Transient(), Transient()};
  ASSERT_TRUE(h.retry->Remove(Handle{FileType::kLock, "x"}).ok());
  ASSERT_EQ(h.sleeps.size(), 4u);
  for (size_t i = 0; i < h.sleeps.size(); ++i) {
    double base = 100.0 * (1 << i);
    EXPECT_GE(h.sleeps[i].count(), base * 0.5 - 1) << i;
    EXPECT_LE(h.sleeps[i].count(), base * 1.5 + 1) << i;
  }
}

TEST(RetryBackendTest, HonoursRetryAfter) {
  Harness h;
  h.fake->script = {core::StorageError(
      "GET 'x': HTTP 503" + http::RetryAfterSuffix(std::chrono::seconds(7)), true)};
  core::Bytes out;
  ASSERT_TRUE(h.retry->Load(Handle{FileType::kPack, "x"}, 0, 0, &out).ok());
  ASSERT_EQ(h.sleeps.size(), 1u);
  EXPECT_GE(h.sleeps[0], std::chrono::milliseconds(7000));
}

TEST(RetryBackendTest, GivesUpWithinTheTotalTimeBudget) {
  RetryOptions o;
  o.max_total = std::chrono::milliseconds(5000);
  o.max_attempts = 1000;
  Harness h(o);
  for (int i = 0; i < 1000; ++i)
    h.fake->script.push_back(Transient());
  auto st = h.retry->Save(Handle{FileType::kPack, "x"}, {});
  EXPECT_EQ(st.code(), core::ErrorCode::kStorage);
  EXPECT_FALSE(st.retryable());
  EXPECT_NE(st.message().find("giving up after"), std::string::npos) << st.message();
  std::chrono::milliseconds total{0};
  for (auto s : h.sleeps)
    total += s;
  EXPECT_LE(total, o.max_total);
}

TEST(RetryBackendTest, ARetriedListingReportsEachEntryOnce) {
  Harness h;
  h.fake->script = {Transient()};
  std::vector<std::string> seen;
  ASSERT_TRUE(h.retry
                  ->List(FileType::kIndex,
                         [&](const FileInfo& fi) {
                           seen.push_back(fi.name);
                           return core::Status::Ok();
                         })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TEST(RetryBackendTest, AListingThatKeepsFailingIsAnErrorNotAnEmptyList) {
  RetryOptions o;
  o.max_attempts = 3;
  Harness h(o);
  h.fake->script = {Transient(), Transient(), Transient()};
  int seen = 0;
  auto st = h.retry->List(FileType::kIndex, [&](const FileInfo&) {
    ++seen;
    return core::Status::Ok();
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(seen, 0);
}

TEST(LimitBackendTest, BoundsRequestsInFlight) {
  auto fake = std::make_unique<FakeScriptedBackend>();
  fake->save_delay = std::chrono::microseconds(300);
  LimitBackend limit(std::move(fake), 2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j)
        EXPECT_TRUE(limit.Save(Handle{FileType::kPack, "x"}, {}).ok());
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_LE(limit.PeakInFlightForTest(), 2);
  EXPECT_GE(limit.PeakInFlightForTest(), 1);
}

}  // namespace
}  // namespace hasteward::storage
