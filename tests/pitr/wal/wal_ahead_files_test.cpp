// The agent's fill-ahead files (AheadFiles) alone, with a read-ahead stand-in the test controls.
// What matters: a file is confirmed only when this agent wrote every byte of verified content
// into that very file; an unknown file (an agent restarted since), another file under the name,
// a file whose read failed or one forgotten by a new window are never confirmed.
#include "pitr/wal/wal_ahead_files.h"

#include <atomic>
#include <future>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/poll_until.h"
#include "core/temp_dir.h"

namespace hasteward::pitr {
namespace {

using namespace std::chrono_literals;

class AheadFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-ahead-files-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
  }

  core::UniqueFd Open(const std::string& file) const {
    return core::UniqueFd(
        ::open((dir_->path() + "/" + file).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  }
  std::vector<AheadFd> Window(const std::vector<std::string>& names) const {
    std::vector<AheadFd> files;
    for (const auto& name : names) {
      files.push_back(AheadFd{name, Open(name)});
    }
    return files;
  }
  static WalPrefetch::Held Content(const std::string& text) {
    core::Bytes bytes(text.begin(), text.end());
    return WalPrefetch::Held{bytes, core::Crc32c(bytes)};
  }
  static uint64_t SizeOf(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }

  std::unique_ptr<core::TempDir> dir_;
};

TEST_F(AheadFilesTest, AFileWrittenWholeIsConfirmedOnceWithItsHash) {
  AheadFiles ahead([](const std::string& name) { return Content("segment " + name); });
  ahead.Replace(Window({"S2"}));
  core::UniqueFd mine = Open("S2");
  auto confirmed = ahead.Confirm("S2", mine.get());
  ASSERT_TRUE(confirmed.has_value());
  EXPECT_EQ(confirmed->size, std::string("segment S2").size());
  EXPECT_EQ(confirmed->crc32c, Content("segment S2").crc32c);
  EXPECT_EQ(SizeOf(mine.get()), confirmed->size);
  EXPECT_FALSE(ahead.Confirm("S2", mine.get()).has_value()) << "forgotten once confirmed";
}

TEST_F(AheadFilesTest, AFileIsConfirmedOnlyAfterItsContentArrived) {
  std::promise<void> read;
  std::shared_future<void> arrived = read.get_future().share();
  AheadFiles ahead([arrived](const std::string&) {
    arrived.wait();  // the read-ahead still reads it
    return std::optional<WalPrefetch::Held>(Content("late"));
  });
  ahead.Replace(Window({"S2"}));
  core::UniqueFd mine = Open("S2");
  auto confirm = std::async(std::launch::async, [&] { return ahead.Confirm("S2", mine.get()); });
  EXPECT_EQ(SizeOf(mine.get()), 0u) << "nothing written before the content arrived";
  read.set_value();
  auto confirmed = confirm.get();
  ASSERT_TRUE(confirmed.has_value()) << "the caller waited for the file rather than take it";
  EXPECT_EQ(SizeOf(mine.get()), 4u);
}

TEST_F(AheadFilesTest, AFileWhoseReadFailedIsNotConfirmed) {
  AheadFiles ahead([](const std::string&) { return std::optional<WalPrefetch::Held>(); });
  ahead.Replace(Window({"S2"}));
  core::UniqueFd mine = Open("S2");
  EXPECT_FALSE(ahead.Confirm("S2", mine.get()).has_value());
}

TEST_F(AheadFilesTest, AnUnknownFileOrAnotherFileUnderTheNameIsNotConfirmed) {
  AheadFiles ahead([](const std::string& name) { return Content(name); });
  core::UniqueFd leftover = Open("S2");
  ASSERT_EQ(::write(leftover.get(), "partial", 7), 7);
  EXPECT_FALSE(ahead.Confirm("S2", leftover.get()).has_value())
      << "an agent restarted since never registered it";
  ahead.Replace(Window({"S3"}));
  core::UniqueFd other = Open("other");
  EXPECT_FALSE(ahead.Confirm("S3", other.get()).has_value()) << "another inode";
}

TEST_F(AheadFilesTest, ANewWindowForgetsTheFilesItDoesNotList) {
  AheadFiles ahead([](const std::string& name) { return Content(name); });
  ahead.Replace(Window({"000000010000000000000002", "000000010000000000000003"}));
  // The server switched to timeline 2: the timeline-1 files are of no use any more.
  ahead.Replace(Window({"000000020000000000000003"}));
  core::UniqueFd old = Open("000000010000000000000003");
  EXPECT_FALSE(ahead.Confirm("000000010000000000000003", old.get()).has_value());
  core::UniqueFd next = Open("000000020000000000000003");
  EXPECT_TRUE(ahead.Confirm("000000020000000000000003", next.get()).has_value());
}

TEST_F(AheadFilesTest, TheSameFileInTheNextWindowKeepsWhatWasWritten) {
  std::atomic<int> reads{0};
  AheadFiles ahead([&reads](const std::string& name) {
    ++reads;
    return std::optional<WalPrefetch::Held>(Content(name));
  });
  ahead.Replace(Window({"S2", "S3"}));
  ASSERT_TRUE(ahead.Confirm("S2", Open("S2").get()).has_value());
  ASSERT_TRUE(core::PollUntil([&] { return ahead.Written().contains("S3"); }, 10s));
  ahead.Replace(Window({"S3", "S4"}));  // the next request hands S3's file again
  EXPECT_TRUE(ahead.Written().contains("S3")) << "the same inode: still complete";
  EXPECT_TRUE(ahead.Confirm("S4", Open("S4").get()).has_value());
  EXPECT_TRUE(ahead.Confirm("S3", Open("S3").get()).has_value());
  ahead.Stop();
  EXPECT_EQ(reads.load(), 3) << "S3 was not read and written again";
}

}  // namespace
}  // namespace hasteward::pitr
