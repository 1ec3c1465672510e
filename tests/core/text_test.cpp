#include "core/text.h"

#include <gtest/gtest.h>

namespace hasteward::core {
namespace {

TEST(TrimTrailingSpaceTest, DropsTrailingLineBreaksAndBlanksOnly) {
  EXPECT_EQ(TrimTrailingSpace("ERROR:  no such table\n"), "ERROR:  no such table");
  EXPECT_EQ(TrimTrailingSpace("15.4\r\n \t"), "15.4");
  EXPECT_EQ(TrimTrailingSpace("  leading kept"), "  leading kept");
  EXPECT_EQ(TrimTrailingSpace("inner \n kept\n"), "inner \n kept");
  EXPECT_EQ(TrimTrailingSpace(" \n"), "");
  EXPECT_EQ(TrimTrailingSpace(""), "");
}

}  // namespace
}  // namespace hasteward::core
