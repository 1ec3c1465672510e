// wal-fetch's fill-ahead files through a restore's fetch server (the archive agent answers the
// same requests), against a real local repository. A file in the prefetch directory is renamed to
// %p only when the agent that wrote it confirms it complete; a leftover of a crashed call, a file
// of an agent restarted since, one of another timeline or of a segment that is not archived is
// never used, and the answers stay exactly those of wal-fetch without fill-ahead files.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/poll_until.h"
#include "core/unix_socket.h"
#include "pitr/wal/wal_ahead_dir.h"
#include "pitr/wal/wal_dir_test.h"
#include "pitr/wal/wal_fetch_server.h"

namespace hasteward::pitr {
namespace {

using namespace std::chrono_literals;

class WalFetchAheadTest : public WalDirTest {
 protected:
  void SetUp() override {
    SetUpWalDir("hs-wal-fetch-ahead-", "fetch");
    std::filesystem::create_directories(RestoreDir());
  }

  std::string RestoreDir() const { return dir_->path() + "/restore/pg_wal"; }
  std::string Destination() const { return RestoreDir() + "/RECOVERYXLOG"; }
  std::string PrefetchDir() const { return archiving_->PrefetchDir(Destination()); }
  std::string AheadOf(const std::string& name) const { return AheadPath(PrefetchDir(), name); }

  std::string Name(int segment, uint32_t timeline = 1) const {
    return archiving_->SegmentFileName(timeline, static_cast<uint64_t>(segment));
  }
  // Archives segments first..last of `timeline`; returns their contents.
  std::vector<std::string> Archive(int first, int last, uint32_t timeline = 1) {
    std::vector<std::string> contents;
    for (int segment = first; segment <= last; ++segment) {
      std::string path =
          WriteSegment(Name(segment, timeline), static_cast<char>('a' + segment + timeline), false);
      auto pushed = PushWal(*repo_, cluster_, *archiving_, path, WalPushOptions{});
      EXPECT_TRUE(pushed.ok()) << pushed.status().ToString();
      contents.push_back(Read(path));
    }
    return contents;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }
  static uint64_t SizeOf(const std::string& path) {
    std::error_code error;
    auto size = std::filesystem::file_size(path, error);
    return error ? 0 : size;
  }
  size_t AheadFilesLeft() const {
    size_t left = 0;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(PrefetchDir(), error)) {
      left += entry.path().string().ends_with(".hasteward-ahead") ? 1 : 0;
    }
    return left;
  }

  // `depth`: segments the agent reads ahead into memory (the window wal-fetch hands over is 3).
  void StartServer(size_t depth = 3) {
    ASSERT_TRUE(repo_->LoadIndex().ok());
    FetchServerOptions options;
    options.client_uid = ::geteuid();
    options.client_gid = ::getegid();
    options.prefetch.depth = depth;
    auto started = FetchServer::Start(*repo_, cluster_, *archiving_, std::nullopt, options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(*started);
  }
  core::Result<std::optional<WalFetchResult>> Fetch(const std::string& name,
                                                    const std::string& socket = "") {
    AgentFetchOptions options;
    options.timeout = 10s;
    options.archiving = archiving_;
    options.ahead = 3;
    return FetchWalThroughAgent(socket.empty() ? server_->socket_path() : socket, cluster_, name,
                                Destination(), options);
  }

  std::unique_ptr<FetchServer> server_;
};

TEST_F(WalFetchAheadTest, TheNextCallsOnlyRenameTheFilesTheAgentFilledAhead) {
  auto contents = Archive(1, 4);
  StartServer();
  auto first = Fetch(Name(1));
  ASSERT_TRUE(first.ok() && first->has_value()) << first.status().ToString();
  EXPECT_FALSE((*first)->from_ahead);
  for (int segment = 2; segment <= 4; ++segment) {
    auto next = Fetch(Name(segment));
    ASSERT_TRUE(next.ok() && next->has_value()) << segment;
    EXPECT_TRUE((*next)->from_ahead) << segment;
    EXPECT_TRUE(Read(Destination()) == contents[segment - 1]) << segment;
  }
  WalAgentCounters served = server_->Stop();
  EXPECT_EQ(served.fetched, 4u);
  EXPECT_EQ(served.fetched_from_ahead, 3u);
  EXPECT_EQ(AheadFilesLeft(), 0u) << "the segments after 4 are not archived: no files for them";
}

// The window wal-fetch hands over (its --prefetch, 8 by default) may be deeper than the agent's
// read-ahead into memory (4): every file of it is still filled, straight from the repository.
TEST_F(WalFetchAheadTest, AWindowDeeperThanTheReadAheadIsFilledWhole) {
  auto contents = Archive(1, 6);
  StartServer(/*depth=*/1);
  for (int segment = 1; segment <= 6; ++segment) {
    auto next = Fetch(Name(segment));
    ASSERT_TRUE(next.ok() && next->has_value()) << segment;
    EXPECT_EQ((*next)->from_ahead, segment > 1) << segment;
    EXPECT_TRUE(Read(Destination()) == contents[segment - 1]) << segment;
  }
  WalAgentCounters served = server_->Stop();
  EXPECT_EQ(served.fetched_from_ahead, 5u);
  EXPECT_EQ(AheadFilesLeft(), 0u);
}

TEST_F(WalFetchAheadTest, AFileLeftByACrashedCallIsWrittenAgainNeverRenamedAsItIs) {
  auto contents = Archive(1, 2);
  std::filesystem::create_directories(PrefetchDir());
  std::ofstream(AheadOf(Name(2)), std::ios::binary) << "partial";
  StartServer();
  auto fetched = Fetch(Name(2));
  ASSERT_TRUE(fetched.ok() && fetched->has_value()) << fetched.status().ToString();
  EXPECT_FALSE((*fetched)->from_ahead) << "this agent never wrote that file";
  EXPECT_TRUE(Read(Destination()) == contents[1]);
}

TEST_F(WalFetchAheadTest, AfterTheAgentRestartedItsOldFilesAreWrittenAgain) {
  auto contents = Archive(1, 3);
  StartServer();
  ASSERT_TRUE(Fetch(Name(1)).ok());
  ASSERT_TRUE(core::PollUntil([&] { return SizeOf(AheadOf(Name(2))) == kSegmentBytes; }, 10s));
  server_.reset();
  // As if the agent had been killed while writing it.
  std::filesystem::resize_file(AheadOf(Name(2)), kSegmentBytes / 2);
  StartServer();
  auto fetched = Fetch(Name(2));
  ASSERT_TRUE(fetched.ok() && fetched->has_value()) << fetched.status().ToString();
  EXPECT_FALSE((*fetched)->from_ahead) << "the new agent does not know the file";
  EXPECT_TRUE(Read(Destination()) == contents[1]) << "whole, byte for byte";
}

TEST_F(WalFetchAheadTest, TheWindowFollowsTheServerToAnotherTimeline) {
  Archive(1, 3, 1);
  auto timeline2 = Archive(2, 3, 2);
  StartServer();
  ASSERT_TRUE(Fetch(Name(1, 1)).ok());
  EXPECT_TRUE(std::filesystem::exists(AheadOf(Name(2, 1))));
  auto switched = Fetch(Name(2, 2));
  ASSERT_TRUE(switched.ok() && switched->has_value()) << switched.status().ToString();
  EXPECT_FALSE((*switched)->from_ahead) << "timeline 1's file for segment 2 is another file";
  EXPECT_TRUE(Read(Destination()) == timeline2[0]);
  EXPECT_FALSE(std::filesystem::exists(AheadOf(Name(2, 1))));
  EXPECT_FALSE(std::filesystem::exists(AheadOf(Name(3, 1))));
  auto next = Fetch(Name(3, 2));
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_TRUE((*next)->from_ahead);
  EXPECT_TRUE(Read(Destination()) == timeline2[1]);
}

TEST_F(WalFetchAheadTest, SegmentsNotArchivedGetNoFileAndStayNotArchived) {
  Archive(1, 2);
  StartServer();
  ASSERT_TRUE(Fetch(Name(1)).ok());
  EXPECT_TRUE(std::filesystem::exists(AheadOf(Name(2))));
  EXPECT_FALSE(std::filesystem::exists(AheadOf(Name(3)))) << "not archived: removed again";
  EXPECT_FALSE(std::filesystem::exists(AheadOf(Name(4))));
  std::filesystem::remove(Destination());  // the server applied segment 1
  auto missing = Fetch(Name(3));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::ErrorCode::kNotFound) << missing.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(Destination()));
  EXPECT_EQ(AheadFilesLeft(), 0u);
}

TEST_F(WalFetchAheadTest, AFileTheAgentCallsCompleteButIsShortIsNeverRenamed) {
  std::filesystem::create_directories(PrefetchDir());
  std::ofstream(AheadOf(Name(1)), std::ios::binary) << "half";
  const std::string socket = dir_->path() + "/stand-in.sock";
  auto listener = core::UnixListener::Bind(socket, 0600, ::geteuid(), ::getegid());
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  std::thread agent([&] {
    auto connection = listener->Accept(5s);
    ASSERT_TRUE(connection.ok());
    ASSERT_TRUE(connection->Receive(5s).ok());
    EXPECT_TRUE(connection
                    ->Send(R"({"ok":true,"size":16,"sha256":")" + std::string(64, '0') +
                           R"(","from_prefetch":true,"from_ahead":true})")
                    .ok());
  });
  auto fetched = Fetch(Name(1), socket);
  agent.join();
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_FALSE(fetched->has_value()) << "wal-fetch fetches alone";
  EXPECT_FALSE(std::filesystem::exists(Destination()));
  EXPECT_FALSE(std::filesystem::exists(AheadOf(Name(1)))) << "never offered again";
}

}  // namespace
}  // namespace hasteward::pitr
