#include "core/page_buffer.h"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hasteward::core {
namespace {

// Resident set of this process in KiB, from /proc (the quantity PageBuffer exists to bound).
long RssKib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
  }
  return -1;
}

TEST(PageBufferTest, AppendsWithinTheCapacityWithoutMoving) {
  auto b = PageBuffer::Create(1 << 20);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const uint8_t* base = b->data();
  std::vector<uint8_t> part(300000, 0xab);
  for (int i = 0; i < 3; ++i)
    b->Append(ByteView(part.data(), part.size()));
  EXPECT_EQ(b->size(), 900000u);
  EXPECT_EQ(b->data(), base);
  EXPECT_EQ(b->view()[899999], 0xab);
  b->Clear();
  EXPECT_EQ(b->size(), 0u);
  EXPECT_EQ(b->touched(), 900000u);
}

TEST(PageBufferTest, CapacityIsAddressSpaceUntilWritten) {
  long before = RssKib();
  auto b = PageBuffer::Create(256u << 20);
  ASSERT_TRUE(b.ok());
  EXPECT_LT(RssKib() - before, 16 * 1024) << "mapping 256 MiB must not make it resident";
  std::vector<uint8_t> block(32u << 20, 1);
  b->Append(ByteView(block.data(), block.size()));
  block = {};
  long written = RssKib();
  EXPECT_GT(written - before, 24 * 1024);
  b->Clear();
  b->Trim(1 << 20);
  EXPECT_LT(RssKib(), written - 24 * 1024) << "Trim must return the pages past `keep`";
  EXPECT_EQ(b->touched(), 1u << 20);
}

TEST(PageBufferTest, MovesOwnershipAndFreesOnDestruction) {
  auto a = PageBuffer::Create(4096);
  ASSERT_TRUE(a.ok());
  uint8_t x = 7;
  a->Append(ByteView(&x, 1));
  PageBuffer moved = std::move(*a);
  EXPECT_EQ(moved.size(), 1u);
  EXPECT_EQ(a->data(), nullptr);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  PageBuffer other;
  other = std::move(moved);
  EXPECT_EQ(other.view()[0], 7);
}

TEST(PageBufferDeathTest, OverrunningTheCapacityAborts) {
  auto b = PageBuffer::Create(4096);
  ASSERT_TRUE(b.ok());
  std::vector<uint8_t> big(8192, 0);
  EXPECT_DEATH(b->Append(ByteView(big.data(), big.size())), "");
}

}  // namespace
}  // namespace hasteward::core
