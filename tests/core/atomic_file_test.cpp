#include "core/atomic_file.h"

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/temp_dir.h"

namespace hasteward::core {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace atomic_file_test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

unsigned ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(AtomicFileTest, WritesContentWithTheRequestedModeAndNoTempLeft) {
  auto dir = TempDir::Create("hs-atomic-file-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/inventory.yaml";
  AtomicFileOptions opts;
  opts.mode = 0600;
  Status st = WriteFileAtomically(path, AsBytes("secret: s3cr3t\n"), opts);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(*ReadFileToString(path), "secret: s3cr3t\n");
  EXPECT_EQ(ModeOf(path), 0600U);
  EXPECT_EQ(ListDir(dir->path()), std::vector<std::string>{"inventory.yaml"});
}

TEST(AtomicFileTest, TempFileIsPrivateUntilCommitEvenForAPublicFinalMode) {
  auto dir = TempDir::Create("hs-atomic-file-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/state.json";
  auto sink = AtomicFileSink::Create(path);  // final mode 0644
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Write(AsBytes("{}")).ok());
  auto names = ListDir(dir->path());
  ASSERT_EQ(names.size(), 1U);
  EXPECT_EQ(names[0].rfind("state.json.tmp-", 0), 0U) << names[0];
  EXPECT_EQ(ModeOf(dir->path() + "/" + names[0]), 0600U);
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(ModeOf(path), 0644U);
}

// Not durable (no fsync) still means whole: the path shows nothing until Close renames the temp
// file, which the descriptor (handed to another process to fill) wrote into.
TEST(AtomicFileTest, ANotDurableFileStillAppearsOnlyWholeAtClose) {
  auto dir = TempDir::Create("hs-atomic-file-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/RECOVERYXLOG";
  AtomicFileOptions opts;
  opts.mode = 0600;
  opts.durable = false;
  auto sink = AtomicFileSink::Create(path, opts);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_EQ(::pwrite((*sink)->fd(), "whole", 5, 0), 5);
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(fs::file_size(path), 5u);
  EXPECT_EQ(ListDir(dir->path()), std::vector<std::string>{"RECOVERYXLOG"});
}

TEST(AtomicFileTest, CreatesMissingParentsOnlyWhenAsked) {
  auto dir = TempDir::Create("hs-atomic-file-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/a/b/state.json";
  EXPECT_FALSE(WriteFileAtomically(path, AsBytes("x")).ok());
  EXPECT_FALSE(fs::exists(dir->path() + "/a"));
  AtomicFileOptions opts;
  opts.parent_dir_mode = 0700;
  Status st = WriteFileAtomically(path, AsBytes("x"), opts);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(*ReadFileToString(path), "x");
  EXPECT_EQ(ModeOf(dir->path() + "/a/b"), 0700U);
}

// The rename fails (the target is a non-empty directory): the error names the path, the temp
// file is removed and the target is untouched.
TEST(AtomicFileTest, FailedCommitRemovesTheTempFile) {
  auto dir = TempDir::Create("hs-atomic-file-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/target";
  ASSERT_TRUE(MakeDirs(path + "/inside").ok());
  Status st = WriteFileAtomically(path, AsBytes("new content"));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_EQ(ListDir(dir->path()), std::vector<std::string>{"target"});
  EXPECT_TRUE(fs::is_directory(path + "/inside"));
}

// Writers racing on one path (threads here; processes or hosts in production) never share a temp
// file: every commit succeeds and the result is one writer's complete content.
TEST(AtomicFileTest, ConcurrentWritersNeverInterleave) {
  auto dir = TempDir::Create("hs-atomic-file-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/state.json";
  constexpr int kWriters = 8;
  std::vector<std::string> contents;
  for (int writer = 0; writer < kWriters; ++writer) {
    contents.push_back(std::string(256 * 1024, static_cast<char>('a' + writer)));
  }
  std::vector<Status> results(kWriters);
  std::vector<std::thread> threads;
  for (int writer = 0; writer < kWriters; ++writer) {
    threads.emplace_back(
        [&, writer] { results[writer] = WriteFileAtomically(path, AsBytes(contents[writer])); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const auto& result : results) {
    EXPECT_TRUE(result.ok()) << result.ToString();
  }
  auto final_content = ReadFileToString(path);
  ASSERT_TRUE(final_content.ok());
  EXPECT_NE(std::find(contents.begin(), contents.end(), *final_content), contents.end());
  EXPECT_EQ(ListDir(dir->path()), std::vector<std::string>{"state.json"});
}

TEST(AtomicFileTest, FsyncDirOfAMissingDirectoryFails) {
  Status st = FsyncDir("/nonexistent/hasteward-dir");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/hasteward-dir"), std::string::npos);
}

}  // namespace
}  // namespace atomic_file_test
}  // namespace hasteward::core
