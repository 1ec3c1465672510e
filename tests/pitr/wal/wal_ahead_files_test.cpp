// The agent's fill-ahead files (AheadFiles) alone, with a fill stand-in the test controls.
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
  std::vector<AheadFile> Window(const std::vector<std::string>& names) const {
    std::vector<AheadFile> files;
    for (const auto& name : names) {
      catalog::ArchivedFile archived;
      archived.file.name = name;
      files.push_back(AheadFile{archived, Open(name)});
    }
    return files;
  }
  // A fill that writes `text` the way the agent writes fetched content.
  static core::Result<WrittenFile> Fill(const std::string& text, int fd) {
    core::Bytes bytes(text.begin(), text.end());
    HS_TRY(WriteFetchedFile(fd, bytes));
    return WrittenFile{bytes.size(), core::Crc32c(bytes)};
  }
  // Writes "segment <name>".
  static core::Result<WrittenFile> FillWithName(const catalog::ArchivedFile& archived, int fd) {
    return Fill("segment " + archived.file.name, fd);
  }
  static uint64_t SizeOf(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }

  std::unique_ptr<core::TempDir> dir_;
};

TEST_F(AheadFilesTest, AFileWrittenWholeIsConfirmedOnceWithItsHash) {
  AheadFiles ahead(FillWithName);
  ahead.Replace(Window({"S2"}));
  core::UniqueFd mine = Open("S2");
  auto confirmed = ahead.Confirm("S2", mine.get());
  ASSERT_TRUE(confirmed.has_value());
  EXPECT_EQ(confirmed->size, std::string("segment S2").size());
  EXPECT_EQ(confirmed->crc32c, core::Crc32c(core::AsBytes("segment S2")));
  EXPECT_EQ(SizeOf(mine.get()), confirmed->size);
  EXPECT_FALSE(ahead.Confirm("S2", mine.get()).has_value()) << "forgotten once confirmed";
}

TEST_F(AheadFilesTest, AFileIsConfirmedOnlyAfterItsContentArrived) {
  std::promise<void> read;
  std::shared_future<void> arrived = read.get_future().share();
  AheadFiles ahead([arrived](const catalog::ArchivedFile&, int fd) {
    arrived.wait();  // the repository is still read
    return Fill("late", fd);
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

TEST_F(AheadFilesTest, TwoFilesAreFilledAtOnce) {
  std::atomic<int> started{0};
  AheadFiles ahead([&started](const catalog::ArchivedFile& archived, int fd) {
    ++started;
    // Each fill waits for the other to start: with one writer, neither would be confirmed.
    if (!core::PollUntil([&] { return started.load() >= 2; }, 10s)) {
      return core::Result<WrittenFile>(core::Status(core::ErrorCode::kStorage, "alone"));
    }
    return FillWithName(archived, fd);
  });
  ahead.Replace(Window({"S2", "S3"}));
  EXPECT_TRUE(ahead.Confirm("S2", Open("S2").get()).has_value());
  EXPECT_TRUE(ahead.Confirm("S3", Open("S3").get()).has_value());
}

TEST_F(AheadFilesTest, AFileWhoseReadFailedIsNotConfirmed) {
  AheadFiles ahead([](const catalog::ArchivedFile&, int fd) -> core::Result<WrittenFile> {
    HS_TRY(Fill("part of it", fd).status());  // a blob after these bytes failed its check
    return core::Status(core::ErrorCode::kCorruption, "blob does not match its ID");
  });
  ahead.Replace(Window({"S2"}));
  core::UniqueFd mine = Open("S2");
  EXPECT_FALSE(ahead.Confirm("S2", mine.get()).has_value());
}

TEST_F(AheadFilesTest, AnUnknownFileOrAnotherFileUnderTheNameIsNotConfirmed) {
  AheadFiles ahead(FillWithName);
  core::UniqueFd leftover = Open("S2");
  ASSERT_EQ(::write(leftover.get(), "partial", 7), 7);
  EXPECT_FALSE(ahead.Confirm("S2", leftover.get()).has_value())
      << "an agent restarted since never registered it";
  ahead.Replace(Window({"S3"}));
  core::UniqueFd other = Open("other");
  EXPECT_FALSE(ahead.Confirm("S3", other.get()).has_value()) << "another inode";
}

TEST_F(AheadFilesTest, ANewWindowForgetsTheFilesItDoesNotList) {
  AheadFiles ahead(FillWithName);
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
  AheadFiles ahead([&reads](const catalog::ArchivedFile& archived, int fd) {
    ++reads;
    return FillWithName(archived, fd);
  });
  ahead.Replace(Window({"S2", "S3"}));
  ASSERT_TRUE(ahead.Confirm("S2", Open("S2").get()).has_value());
  core::UniqueFd s3 = Open("S3");
  ASSERT_TRUE(core::PollUntil([&] { return SizeOf(s3.get()) > 0; }, 10s));
  ahead.Replace(Window({"S3", "S4"}));  // the next request hands S3's file again
  EXPECT_TRUE(ahead.Registered().contains("S3")) << "the same inode: still registered";
  EXPECT_TRUE(ahead.Confirm("S4", Open("S4").get()).has_value());
  EXPECT_TRUE(ahead.Confirm("S3", Open("S3").get()).has_value());
  ahead.Stop();
  EXPECT_EQ(reads.load(), 3) << "S3 was not read and written again";
}

}  // namespace
}  // namespace hasteward::pitr
