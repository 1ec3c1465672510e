#include "core/io_slice.h"

#include <cstdio>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/fd.h"

namespace hasteward::core {
namespace {

// Bytes that differ at every offset, so a slice written at the wrong place shows.
std::vector<uint8_t> Pattern(size_t size) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  }
  return out;
}

std::vector<uint8_t> ReadBack(int fd, size_t size) {
  std::vector<uint8_t> out(size);
  size_t done = 0;
  while (done < size) {
    auto n = ReadSome(fd, std::span<uint8_t>(out.data() + done, size - done));
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) {
      break;
    }
    done += *n;
  }
  out.resize(done);
  return out;
}

class IoSliceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/hasteward-io-slice-XXXXXX";
    fd_.Reset(::mkstemp(path));
    ASSERT_TRUE(fd_.valid());
    path_ = path;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  UniqueFd fd_;
  std::string path_;
};

TEST_F(IoSliceTest, WriteAllAtWritesEverySliceInPlaceAndLeavesTheFilePosition) {
  // Three full slices and a partial one, at an offset that is not slice-aligned.
  const std::vector<uint8_t> data = Pattern(3 * kMaxIoSlice + 12345);
  const uint64_t offset = 777;
  ASSERT_TRUE(WriteAllAt(fd_.get(), ByteView(data.data(), data.size()), offset).ok());
  EXPECT_EQ(::lseek(fd_.get(), 0, SEEK_CUR), 0) << "pwrite must not move the position";
  std::vector<uint8_t> back = ReadBack(fd_.get(), offset + data.size() + 1);
  ASSERT_EQ(back.size(), offset + data.size());
  EXPECT_EQ(std::vector<uint8_t>(back.begin(), back.begin() + offset),
            std::vector<uint8_t>(offset, 0));
  EXPECT_TRUE(std::equal(data.begin(), data.end(), back.begin() + offset));
}

TEST_F(IoSliceTest, WriteAllAndReadSomeMoveAtMostOneSlicePerCall) {
  const std::vector<uint8_t> data = Pattern(2 * kMaxIoSlice + 5);
  ASSERT_TRUE(WriteAll(fd_.get(), ByteView(data.data(), data.size())).ok());
  ASSERT_EQ(::lseek(fd_.get(), 0, SEEK_SET), 0);
  std::vector<uint8_t> buffer(data.size());
  auto first = ReadSome(fd_.get(), std::span<uint8_t>(buffer.data(), buffer.size()));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, kMaxIoSlice) << "one call, one slice, whatever the buffer";
  std::vector<uint8_t> rest = ReadBack(fd_.get(), data.size());
  ASSERT_EQ(rest.size(), data.size() - kMaxIoSlice);
  EXPECT_TRUE(std::equal(buffer.begin(), buffer.begin() + kMaxIoSlice, data.begin()));
  EXPECT_TRUE(std::equal(rest.begin(), rest.end(), data.begin() + kMaxIoSlice));
}

TEST_F(IoSliceTest, AWriteToAClosedDescriptorIsAnErrorNotALoop) {
  const std::vector<uint8_t> data = Pattern(10);
  EXPECT_FALSE(WriteAllAt(-1, ByteView(data.data(), data.size()), 0).ok());
}

}  // namespace
}  // namespace hasteward::core
