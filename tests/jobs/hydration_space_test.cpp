#include "jobs/hydration_space.h"

#include <cerrno>

#include <gtest/gtest.h>

#include "core/fd.h"

namespace hasteward::jobs {
namespace {

constexpr uint64_t kMib = uint64_t{1} << 20;
constexpr uint64_t kGib = uint64_t{1} << 30;

TEST(HydrationSpaceTest, NeedsTheTreePlusATenthOrAtLeastTheMinimumMargin) {
  EXPECT_EQ(HydrationBytesNeeded(10 * kMib), 10 * kMib + kHydrationMinMarginBytes);
  EXPECT_EQ(HydrationBytesNeeded(100 * kGib), 110 * kGib);
}

TEST(HydrationSpaceTest, AvailableBytesAreTheUnprivilegedBlocksTimesTheFragmentSize) {
  struct statvfs st {};
  st.f_frsize = 4096;
  st.f_bsize = 1 << 20;  // the preferred I/O size, not the unit of the counts
  st.f_bavail = 1000;
  st.f_bfree = 5000;  // includes the blocks reserved for root
  EXPECT_EQ(AvailableBytes(st), 4096U * 1000U);
}

TEST(HydrationSpaceTest, ATreeThatFitsWithItsMarginPasses) {
  EXPECT_TRUE(CheckHydrationSpace(10 * kGib, 11 * kGib, "/var/lib/pg").ok());
}

TEST(HydrationSpaceTest, ATreeThatFitsOnlyWithoutItsMarginIsRefusedWithWhatToFree) {
  core::Status refused = CheckHydrationSpace(10 * kGib, 10 * kGib + kMib, "/var/lib/pg");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), core::ErrorCode::kStorage);
  EXPECT_NE(refused.message().find("'/var/lib/pg'"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("11264 MiB"), std::string::npos) << refused.message();
  EXPECT_NE(refused.hint().find("nothing was changed; free 1023 MiB"), std::string::npos)
      << refused.hint();
}

TEST(HydrationSpaceTest, AFullDiskIsToldApartFromOtherFailures) {
  EXPECT_TRUE(IsOutOfSpace(core::ErrnoStatus("write 'base/1/1259'", ENOSPC)));
  EXPECT_TRUE(IsOutOfSpace(core::ErrnoStatus("write 'base/1/1259'", EDQUOT)));
  EXPECT_FALSE(IsOutOfSpace(core::ErrnoStatus("write 'base/1/1259'", EIO)));
  EXPECT_FALSE(IsOutOfSpace(core::Status::Ok()));
}

}  // namespace
}  // namespace hasteward::jobs
