#include "core/utc_time.h"

#include <gtest/gtest.h>

namespace hasteward::core {
namespace {

TEST(UtcTimeTest, FormatsWholeSecondsInUtc) {
  EXPECT_EQ(Rfc3339Utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339Utc(1795420388), "2026-11-23T07:53:08Z");
}

}  // namespace
}  // namespace hasteward::core
