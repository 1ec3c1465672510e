#include "repo/backup/stream_backup.h"

#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/temp_dir.h"
#include "repo/check/checker.h"
#include "repo/lock/repo_lock.h"
#include "repo/restore/file_dumper.h"
#include "storage/local/local_backend.h"

namespace hasteward::repo {
namespace {

class StreamBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-repo-test-").value()));
    InitOptions opts;
    opts.kdf = KdfParams{1024, 8, 1};  // fast for tests; real repositories use restic's cost
    opts.polynomial = 0x3da3358b4dc173;
    auto r = Repository::Init(std::make_unique<storage::LocalBackend>(dir_->path()), "pw", opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repo_ = std::move(*r);
  }

  core::Bytes Random(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    core::Bytes b(n);
    for (auto& c : b)
      c = static_cast<uint8_t>(rng());
    return b;
  }

  core::Bytes Export(const Id& snap_id) {
    auto snap = repo_->LoadSnapshot(snap_id);
    EXPECT_TRUE(snap.ok());
    EXPECT_TRUE(repo_->LoadIndex().ok());
    auto node = FindFileNode(*repo_, *snap, "");
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    core::MemorySink sink;
    DumpOptions opts;
    opts.max_in_flight_bytes = 3 << 20;  // force the bounded window to be exercised
    auto n = DumpFile(*repo_, *node, sink, opts);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return sink.data();
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<Repository> repo_;
};

TEST_F(StreamBackupTest, RoundTripsAndDeduplicates) {
  core::Bytes data = Random(5 << 20, 1);
  core::MemorySource src(data);
  BackupOptions opts;
  opts.filename = "ns/cluster/pgdumpall.sql";
  opts.tags = {"engine=cnpg,cluster=cluster", "type=backup"};
  auto sum = BackupStream(*repo_, src, opts);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->bytes_read, data.size());
  EXPECT_EQ(Export(sum->snapshot_id), data);
  auto snap = repo_->LoadSnapshot(sum->snapshot_id);
  EXPECT_EQ(snap->paths, std::vector<std::string>{"/ns/cluster/pgdumpall.sql"});
  EXPECT_EQ(snap->tags,
            (std::vector<std::string>{"engine=cnpg", "cluster=cluster", "type=backup"}));

  core::MemorySource again(data);
  auto sum2 = BackupStream(*repo_, again, opts);
  ASSERT_TRUE(sum2.ok());
  EXPECT_EQ(sum2->chunks_new, 0u);
  auto report = CheckRepository(*repo_, CheckOptions{true, 2});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->errors.front();
}

class FailingSource : public core::ByteSource {
 public:
  explicit FailingSource(size_t fail_after) : fail_after_(fail_after) {}
  core::Result<size_t> Read(std::span<uint8_t> buf) override {
    if (sent_ >= fail_after_) {
      return core::Status(core::ErrorCode::kDumpFailed, "producer died");
    }
    size_t n = std::min(buf.size(), fail_after_ - sent_);
    std::fill_n(buf.begin(), n, static_cast<uint8_t>(sent_ % 251));
    sent_ += n;
    return n;
  }

 private:
  size_t fail_after_;
  size_t sent_ = 0;
};

TEST_F(StreamBackupTest, FailingSourceSavesNoSnapshot) {
  FailingSource src(3 << 20);
  auto sum = BackupStream(*repo_, src, BackupOptions{});
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.status().code(), core::ErrorCode::kDumpFailed);
  EXPECT_NE(sum.status().message().find("no snapshot was saved"), std::string::npos);
  EXPECT_TRUE(repo_->ListSnapshots()->empty());
  EXPECT_TRUE(ListLocks(*repo_)->empty());
  auto report = CheckRepository(*repo_, CheckOptions{true, 2});
  EXPECT_TRUE(report->ok());
}

TEST_F(StreamBackupTest, EmptySourceIsRejected) {
  core::MemorySource src({});
  auto sum = BackupStream(*repo_, src, BackupOptions{});
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.status().code(), core::ErrorCode::kIncompleteInput);
  EXPECT_TRUE(repo_->ListSnapshots()->empty());
}

TEST_F(StreamBackupTest, ExclusiveLockBlocksBackup) {
  auto lock = RepoLock::Acquire(*repo_, LockOptions{true, {}, true});
  ASSERT_TRUE(lock.ok());
  core::MemorySource src(Random(1000, 2));
  auto sum = BackupStream(*repo_, src, BackupOptions{});
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.status().code(), core::ErrorCode::kLocked);
  EXPECT_NE(sum.status().message().find("exclusive lock"), std::string::npos);
}

TEST_F(StreamBackupTest, WaitsForAnExclusiveLockWithinTheBound) {
  auto lock = RepoLock::Acquire(*repo_, LockOptions{true, {}, true});
  ASSERT_TRUE(lock.ok());
  std::thread release([&lock] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_TRUE((*lock)->Release().ok());
  });
  core::Bytes data = Random(1 << 20, 3);
  core::MemorySource src(data);
  BackupOptions opts;
  opts.lock_wait = std::chrono::seconds(60);
  auto sum = BackupStream(*repo_, src, opts);
  release.join();
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(Export(sum->snapshot_id), data);
}

// The bound is measured on the injected clock: five minutes of waiting pass at once.
TEST_F(StreamBackupTest, GivesUpAfterTheBoundNamingTheHolder) {
  auto lock = RepoLock::Acquire(*repo_, LockOptions{true, {}, true});
  ASSERT_TRUE(lock.ok());
  core::ManualClock clock(core::SystemClock::Get().Now());
  core::MemorySource src(Random(1000, 4));
  BackupOptions opts;
  opts.lock_wait = std::chrono::minutes(5);
  opts.clock = &clock;
  auto sum = BackupStream(*repo_, src, opts);
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.status().code(), core::ErrorCode::kLocked);
  EXPECT_NE(sum.status().message().find("held by PID " + std::to_string(::getpid())),
            std::string::npos)
      << sum.status().message();
  EXPECT_NE(sum.status().message().find("waited 300s"), std::string::npos);
  EXPECT_GE(clock.Monotonic().time_since_epoch(), std::chrono::minutes(5));
  EXPECT_TRUE(repo_->ListSnapshots()->empty());
}

TEST(TagsTest, SplitsLikeRestic) {
  EXPECT_EQ(NormalizeTags({"a", "b, c", ",,d,"}), (std::vector<std::string>{"a", "b", "c", "d"}));
}

}  // namespace
}  // namespace hasteward::repo
