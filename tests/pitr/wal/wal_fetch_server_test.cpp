// wal-fetch through a process that keeps the repository open (a restore's fetch server; the
// archive agent answers the same requests), against a real local repository. What matters beyond
// the bytes: only the server's explicit "not archived" is kNotFound (the PostgreSQL server ends
// recovery on it); no server, one gone mid-request, an error or a file shorter than answered are
// "no answer", and wal-fetch then fetches alone, so a gap is never taken for the archive's end.
#include "pitr/wal/wal_fetch_server.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/poll_until.h"
#include "core/unix_socket.h"
#include "pitr/wal/wal_dir_test.h"

namespace hasteward::pitr {
namespace {

using namespace std::chrono_literals;

class WalFetchServerTest : public WalDirTest {
 protected:
  void SetUp() override {
    SetUpWalDir("hs-wal-fetch-server-", "fetch");
    std::filesystem::create_directories(RestoreDir());
  }

  std::string RestoreDir() const { return dir_->path() + "/restore/pg_wal"; }
  std::string Destination() const { return RestoreDir() + "/RECOVERYXLOG"; }

  // Archives segments first..last of timeline 1 (wal-push alone); returns their contents.
  std::vector<std::string> Archive(int first, int last) {
    std::vector<std::string> contents;
    for (int segment = first; segment <= last; ++segment) {
      std::string name = archiving_->SegmentFileName(1, static_cast<uint64_t>(segment));
      std::string path = WriteSegment(name, static_cast<char>('a' + segment), false);
      auto pushed = PushWal(*repo_, cluster_, *archiving_, path, WalPushOptions{});
      EXPECT_TRUE(pushed.ok()) << pushed.status().ToString();
      contents.push_back(Read(path));
    }
    return contents;
  }
  static std::string Name(int segment) {
    char name[32];
    std::snprintf(name, sizeof(name), "0000000100000000%08X", segment);
    return name;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

  void StartServer(const platform::Cluster& served) {
    ASSERT_TRUE(repo_->LoadIndex().ok());
    FetchServerOptions options;
    options.client_uid = ::geteuid();
    options.client_gid = ::getegid();
    options.prefetch.depth = 3;
    auto started = FetchServer::Start(*repo_, served, *archiving_, std::nullopt, options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(*started);
  }

  core::Result<std::optional<WalFetchResult>> Fetch(const std::string& name) {
    return FetchWalThroughAgent(server_->socket_path(), cluster_, name, Destination(), 10s);
  }
  // Files in the restore's pg_wal (temp files included).
  size_t FilesInRestoreDir() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(RestoreDir()),
                                             std::filesystem::directory_iterator()));
  }

  std::unique_ptr<FetchServer> server_;
};

TEST_F(WalFetchServerTest, WritesTheArchivedSegmentWhereTheServerAsked) {
  auto contents = Archive(1, 1);
  StartServer(cluster_);
  auto fetched = Fetch(Name(1));
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_TRUE(fetched->has_value()) << "the server answered";
  EXPECT_TRUE(Read(Destination()) == contents[0]) << "byte for byte";
  EXPECT_EQ(FilesInRestoreDir(), 1u) << "no temp file left beside it";
}

TEST_F(WalFetchServerTest, ServesTheNextSegmentsFromItsReadAhead) {
  auto contents = Archive(1, 4);
  StartServer(cluster_);
  auto first = Fetch(Name(1));
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_FALSE((*first)->from_prefetch);
  ASSERT_TRUE(core::PollUntil([&] { return server_->prefetch().HeldForTest() == 3; }, 10s));
  for (int segment = 2; segment <= 4; ++segment) {
    auto next = Fetch(Name(segment));
    ASSERT_TRUE(next.ok() && next->has_value()) << segment;
    EXPECT_TRUE((*next)->from_prefetch) << segment;
    EXPECT_TRUE(Read(Destination()) == contents[segment - 1]) << segment;
  }
  WalAgentCounters served = server_->Stop();
  EXPECT_EQ(served.fetched, 4u);
  EXPECT_EQ(served.fetched_from_prefetch, 3u);
}

TEST_F(WalFetchServerTest, AReadAheadWhoseBytesChangedIsFetchedAgainFromTheRepository) {
  auto contents = Archive(1, 2);
  StartServer(cluster_);
  ASSERT_TRUE(Fetch(Name(1)).ok());
  ASSERT_TRUE(core::PollUntil([&] { return server_->prefetch().HeldForTest() == 1; }, 10s));
  ASSERT_TRUE(server_->prefetch().CorruptHeldForTest(Name(2)));
  auto second = Fetch(Name(2));
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_FALSE((*second)->from_prefetch);
  EXPECT_TRUE(Read(Destination()) == contents[1]) << "the archived bytes, not the changed ones";
}

TEST_F(WalFetchServerTest, NotArchivedIsNotFoundAndWritesNothing) {
  Archive(1, 1);
  StartServer(cluster_);
  auto missing = Fetch(Name(2));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::ErrorCode::kNotFound) << missing.status().ToString();
  EXPECT_EQ(FilesInRestoreDir(), 0u);
}

TEST_F(WalFetchServerTest, ASegmentArchivedAfterTheServerStartedIsFound) {
  Archive(1, 1);
  StartServer(cluster_);
  ASSERT_TRUE(Fetch(Name(1)).ok());
  auto later = Archive(2, 2);
  auto fetched = Fetch(Name(2));
  ASSERT_TRUE(fetched.ok()) << "a stale catalog is never the answer 'not archived'";
  ASSERT_TRUE(fetched->has_value());
  EXPECT_TRUE(Read(Destination()) == later[0]);
}

TEST_F(WalFetchServerTest, ServesHistoryAndPartialFiles) {
  std::string history = WalDir() + "/00000002.history";
  std::ofstream(history) << "1\t0/3000000\tbefore 2026-01-01 00:00:00+00\n";
  ASSERT_TRUE(PushWal(*repo_, cluster_, *archiving_, history, WalPushOptions{}).ok());
  std::string partial = WriteSegment("000000010000000000000003.partial", 'p', false);
  ASSERT_TRUE(PushWal(*repo_, cluster_, *archiving_, partial, WalPushOptions{}).ok());
  StartServer(cluster_);
  for (const auto& path : {history, partial}) {
    std::string name = std::filesystem::path(path).filename();
    auto fetched = Fetch(name);
    ASSERT_TRUE(fetched.ok() && fetched->has_value()) << name;
    EXPECT_TRUE(Read(Destination()) == Read(path)) << name;
  }
}

TEST_F(WalFetchServerTest, AServerOfAnotherClusterIsNoAnswerNeverNotArchived) {
  Archive(1, 1);
  platform::Cluster other = cluster_;
  other.name = "other";
  StartServer(other);
  auto fetched = Fetch(Name(1));
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_FALSE(fetched->has_value()) << "wal-fetch fetches alone";
  EXPECT_EQ(FilesInRestoreDir(), 0u);
}

TEST_F(WalFetchServerTest, NoServerListeningIsNoAnswer) {
  auto fetched =
      FetchWalThroughAgent(dir_->path() + "/none.sock", cluster_, Name(1), Destination(), 5s);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_FALSE(fetched->has_value());
}

// A stand-in agent that answers `answer` after writing `bytes` into the handed-over file, or
// closes the connection unanswered when `answer` is empty (killed mid-request).
void AnswerOnce(core::UnixListener& listener, const std::string& bytes, const std::string& answer) {
  auto connection = listener.Accept(5s);
  ASSERT_TRUE(connection.ok());
  auto request = connection->Receive(5s);
  ASSERT_TRUE(request.ok());
  ASSERT_EQ(request->fds.size(), 1u);
  ASSERT_EQ(::pwrite(request->fds[0].get(), bytes.data(), bytes.size(), 0),
            static_cast<ssize_t>(bytes.size()));
  if (!answer.empty()) {
    EXPECT_TRUE(connection->Send(answer).ok());
  }
}

TEST_F(WalFetchServerTest, AnAgentGoneMidRequestOrAnErrorOrAShortFileIsNoAnswer) {
  const std::string socket = dir_->path() + "/stand-in.sock";
  const std::string other_hash(64, '0');
  for (const std::string& answer :
       {std::string(),  // gone before answering
        std::string(R"({"ok":false,"not_archived":false,"code":20,"message":"pack missing"})"),
        // "written" but the file is shorter than the answer says
        R"({"ok":true,"size":16,"sha256":")" + other_hash + R"(","from_prefetch":false})"}) {
    auto listener = core::UnixListener::Bind(socket, 0600, ::geteuid(), ::getegid());
    ASSERT_TRUE(listener.ok()) << listener.status().ToString();
    std::thread agent([&] { AnswerOnce(*listener, "half", answer); });
    auto fetched = FetchWalThroughAgent(socket, cluster_, Name(1), Destination(), 5s);
    agent.join();
    ASSERT_TRUE(fetched.ok()) << answer << ": " << fetched.status().ToString();
    EXPECT_FALSE(fetched->has_value()) << answer;
    EXPECT_EQ(FilesInRestoreDir(), 0u) << "%p never appears with what did not check out";
  }
}

TEST_F(WalFetchServerTest, RestoreCommandAsksTheServerLast) {
  StartServer(cluster_);
  std::string command = server_->RestoreCommand("hasteward -q wal-fetch \"%f\" \"%p\"");
  EXPECT_EQ(command,
            "hasteward -q wal-fetch \"%f\" \"%p\" --agent-socket '" + server_->socket_path() + "'");
  const std::string socket = server_->socket_path();
  server_.reset();
  EXPECT_FALSE(std::filesystem::exists(socket)) << "the socket goes with the server";
}

}  // namespace
}  // namespace hasteward::pitr
