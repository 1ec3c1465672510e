// PreadFull on a real file: the whole range at an offset, fewer bytes only at the end of the file,
// and an error that names what was read when the descriptor cannot be read.
#include "core/pread_full.h"

#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/temp_dir.h"

namespace hasteward::core {
namespace {

TEST(PreadFullTest, ReadsTheRangeAndStopsShortOnlyAtTheEnd) {
  auto dir = TempDir::Create("hasteward-pread-");
  ASSERT_TRUE(dir.ok());
  std::string content;
  for (int i = 0; i < 100000; ++i)
    content.push_back(static_cast<char>('a' + i % 26));
  const std::string path = dir->path() + "/f";
  ASSERT_TRUE(WriteFileAtomically(path, AsBytes(content)).ok());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);

  std::vector<uint8_t> buf(70000);
  auto got = PreadFull(fd, buf, 1000, "read f");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, 70000u);
  EXPECT_EQ(std::string(buf.begin(), buf.end()), content.substr(1000, 70000));

  auto tail = PreadFull(fd, buf, 60000, "read f");
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, 40000u);
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + 40000), content.substr(60000));
  ::close(fd);

  auto failed = PreadFull(fd, buf, 0, "read the closed f");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("read the closed f"), std::string::npos)
      << failed.status().message();
}

}  // namespace
}  // namespace hasteward::core
