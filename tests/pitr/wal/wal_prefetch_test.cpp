// The read-ahead of archived WAL against a real local repository: what it holds stays within its
// byte budget and follows what is wanted, and it hands out only bytes that still hash to what the
// repository's verified blobs gave.
#include "pitr/wal/wal_prefetch.h"

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "pitr/wal/wal_archive.h"
#include "pitr/wal/wal_dir_test.h"

namespace hasteward::pitr {
namespace {

using namespace std::chrono_literals;

class WalPrefetchTest : public WalDirTest {
 protected:
  void SetUp() override {
    SetUpWalDir("hs-wal-prefetch-", "prefetch");
    for (uint64_t segment = 1; segment <= 4; ++segment) {
      std::string name = archiving_->SegmentFileName(1, segment);
      std::string path = WriteSegment(name, static_cast<char>('a' + segment), false);
      ASSERT_TRUE(PushWal(*repo_, cluster_, *archiving_, path, WalPushOptions{}).ok());
    }
    ASSERT_TRUE(repo_->LoadIndex().ok());
    auto catalog = catalog::WalCatalog::Load(*repo_, cluster_, *archiving_);
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    for (const auto& [segment, archived] : catalog->Segments(1)) {
      files_.push_back(*archived);
    }
    ASSERT_EQ(files_.size(), 4u);
  }

  std::string Expected(uint64_t segment) const {
    std::string content(kSegmentBytes, static_cast<char>('a' + segment));
    std::string name = archiving_->SegmentFileName(1, segment);
    return content.replace(0, name.size(), name);
  }

  std::vector<catalog::ArchivedFile> files_;
};

TEST_F(WalPrefetchTest, HoldsNoMoreThanItsBudgetAndGoesOnAsFilesAreTaken) {
  WalPrefetch prefetch(*repo_, {.depth = 4, .threads = 4, .budget_bytes = 2 * kSegmentBytes});
  prefetch.Want(files_);
  ASSERT_TRUE(core::PollUntil([&] { return prefetch.HeldForTest() == 2; }, 10s));
  for (uint64_t segment = 1; segment <= 4; ++segment) {
    EXPECT_LE(prefetch.HeldForTest(), 2u);
    auto taken = prefetch.Take(files_[segment - 1].file.name);
    ASSERT_TRUE(taken.has_value()) << segment << ": fetched once the budget allowed it";
    EXPECT_TRUE(core::AsString(taken->bytes) == Expected(segment)) << segment;
  }
  EXPECT_EQ(prefetch.HeldForTest(), 0u);
}

TEST_F(WalPrefetchTest, DropsWhatIsNoLongerWanted) {
  WalPrefetch prefetch(*repo_, {.depth = 4, .threads = 2, .budget_bytes = 4 * kSegmentBytes});
  prefetch.Want({files_[0], files_[1]});
  ASSERT_TRUE(core::PollUntil([&] { return prefetch.HeldForTest() == 2; }, 10s));
  prefetch.Want({files_[1]});
  EXPECT_EQ(prefetch.HeldForTest(), 1u);
  EXPECT_FALSE(prefetch.Take(files_[0].file.name).has_value());
  EXPECT_TRUE(prefetch.Take(files_[1].file.name).has_value());
}

TEST_F(WalPrefetchTest, BytesThatNoLongerMatchTheirHashAreNotHandedOut) {
  WalPrefetch prefetch(*repo_, {.depth = 1, .threads = 1, .budget_bytes = kSegmentBytes});
  prefetch.Want({files_[0]});
  ASSERT_TRUE(core::PollUntil([&] { return prefetch.HeldForTest() == 1; }, 10s));
  ASSERT_TRUE(prefetch.CorruptHeldForTest(files_[0].file.name));
  EXPECT_FALSE(prefetch.Take(files_[0].file.name).has_value());
}

TEST_F(WalPrefetchTest, TakeWhenFetchedWaitsForAFileStillQueued) {
  // One segment of budget: the fourth file stays queued until the three before it are taken.
  WalPrefetch prefetch(*repo_, {.depth = 4, .threads = 1, .budget_bytes = kSegmentBytes});
  prefetch.Want(files_);
  for (uint64_t segment = 1; segment <= 4; ++segment) {
    auto taken = prefetch.TakeWhenFetched(files_[segment - 1].file.name);
    ASSERT_TRUE(taken.has_value()) << segment << ": waited for, not left to the caller";
    EXPECT_TRUE(core::AsString(taken->bytes) == Expected(segment)) << segment;
  }
}

TEST_F(WalPrefetchTest, TakeWhenFetchedOfAFileNoLongerWantedReturnsNothing) {
  WalPrefetch prefetch(*repo_, {.depth = 1, .threads = 1, .budget_bytes = kSegmentBytes});
  prefetch.Want({files_[0], files_[1]});
  prefetch.Want({files_[0]});  // file 2 is not wanted any more: nobody will fetch it
  EXPECT_FALSE(prefetch.TakeWhenFetched(files_[1].file.name).has_value());
  prefetch.Shutdown();
  // Returns (held or not) rather than wait for a worker that stopped: the agent's writer thread
  // is joined after this.
  (void)prefetch.TakeWhenFetched(files_[0].file.name);
}

TEST_F(WalPrefetchTest, AFileNeverWantedIsNotHeld) {
  WalPrefetch prefetch(*repo_, {});
  EXPECT_FALSE(prefetch.Take(files_[2].file.name).has_value());
}

}  // namespace
}  // namespace hasteward::pitr
