#include "platform/sandbox/ports.h"

#include <cstdio>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "core/temp_dir.h"

namespace hasteward::platform::sandbox {
namespace {

TEST(SandboxPortsTest, RangeEndsWhereTheKernelsEphemeralRangeBegins) {
  auto dir = core::TempDir::Create("hs-ports-test-");
  ASSERT_TRUE(dir.ok());
  std::string file = dir->path() + "/range";
  std::ofstream(file) << "40000\t60999\n";
  EXPECT_EQ(SandboxPortRange(file), std::make_pair(20000, 40000));
}

TEST(SandboxPortsTest, UnreadableOrNarrowRangeFallsBackToTheDefault) {
  auto dir = core::TempDir::Create("hs-ports-test-");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(SandboxPortRange(dir->path() + "/missing"), std::make_pair(20000, 32768));
  std::string file = dir->path() + "/range";
  std::ofstream(file) << "21000 60999\n";
  EXPECT_EQ(SandboxPortRange(file), std::make_pair(20000, 32768));
}

TEST(SandboxPortsTest, PortsAreDistinctFreeAndOutsideTheEphemeralRange) {
  auto [first, last] = SandboxPortRange();
  auto ports = FreeLoopbackPorts(12);
  ASSERT_TRUE(ports.ok()) << ports.status().ToString();
  ASSERT_EQ(ports->size(), 12U);
  std::set<int> distinct(ports->begin(), ports->end());
  EXPECT_EQ(distinct.size(), 12U);
  for (int port : *ports) {
    EXPECT_GE(port, first);
    EXPECT_LT(port, last);
    EXPECT_TRUE(PortIsFree(port)) << port << " was not released";
  }
}

}  // namespace
}  // namespace hasteward::platform::sandbox
