// The WAL agent and wal-push's side of it against a real local repository, with a directory laid
// out like a server's pg_wal. Besides what the agent stores, what matters is what wal-push takes
// for success: only the agent's "stored" answer. No agent, or one that goes away before answering,
// is "no answer" (wal-push then archives alone), never success.
#include "pitr/wal/wal_agent.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "catalog/wal/wal_catalog.h"
#include "core/poll_until.h"
#include "core/temp_dir.h"
#include "core/unix_socket.h"
#include "engine/engine.h"
#include "pitr/wal/wal_dir_test.h"
#include "storage/registry.h"

namespace hasteward::pitr {
namespace {

using namespace std::chrono_literals;

class WalAgentTest : public WalDirTest {
 protected:
  void SetUp() override { SetUpWalDir("hs-wal-agent-", "agent"); }
  void TearDown() override { StopAgent(); }

  std::string Socket() const { return dir_->path() + "/agent.sock"; }

  // RunWalAgent on its own thread, listening on Socket() until StopAgent.
  void StartAgent() {
    agent_ = std::thread([this] {
      WalAgentOptions options;
      options.socket_path = Socket();
      options.client_uid = ::geteuid();
      options.client_gid = ::getegid();
      options.stop_requested = [this] {
        return stop_.load();
      };
      options.on_answer = [this](const std::string& file, const core::Result<WalPushResult>& r) {
        answers_.push_back(file + (r.ok() ? ":ok:" + std::to_string(r->stored) : ":error"));
      };
      auto ran = RunWalAgent(*repo_, cluster_, *archiving_, options);
      EXPECT_TRUE(ran.ok()) << ran.status().ToString();
    });
    core::PollUntil([this] { return std::filesystem::exists(Socket()); }, 2s);
    ASSERT_TRUE(std::filesystem::exists(Socket()));
  }
  void StopAgent() {
    stop_ = true;
    if (agent_.joinable()) {
      agent_.join();
    }
  }

  core::Result<std::optional<WalPushResult>> Push(const std::string& path) {
    return PushWalThroughAgent(Socket(), *archiving_, path, 64, 5s);
  }

  std::atomic<bool> stop_{false};
  std::thread agent_;
  std::vector<std::string> answers_;  // written by the agent thread, read after StopAgent
};

TEST_F(WalAgentTest, StoresTheHandedOverFileWithTheServersQueueAndReportsEachAnswer) {
  std::string first = WriteSegment("000000010000000000000001", 'a', true);
  WriteSegment("000000010000000000000002", 'b', true);
  StartAgent();
  auto pushed = Push(first);
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  ASSERT_TRUE(pushed->has_value()) << "the agent answered";
  EXPECT_EQ((*pushed)->stored, 2u);
  StopAgent();
  EXPECT_EQ(answers_, std::vector<std::string>{"000000010000000000000001:ok:2"});

  ASSERT_TRUE(repo_->LoadIndex().ok());
  auto catalog = catalog::WalCatalog::Load(*repo_, cluster_, *archiving_);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_NE(catalog->Find("000000010000000000000002"), nullptr) << "committed before the answer";
}

TEST_F(WalAgentTest, OtherBytesUnderAnArchivedNameAreRefusedByTheAgent) {
  std::string path = WriteSegment("000000010000000000000005", 'a', false);
  StartAgent();
  ASSERT_TRUE(Push(path).ok());
  WriteSegment("000000010000000000000005", 'z', false);
  auto refused = Push(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), core::ErrorCode::kSafetyStop);
  EXPECT_NE(refused.status().message().find("(archive agent)"), std::string::npos);
  StopAgent();
  EXPECT_EQ(answers_.back(), "000000010000000000000005:error");
}

// The agent serves wal-fetch on the socket wal-push uses (the server's restore_command carries the
// same --agent-socket); fetches are not push answers, so serve's archive counters do not see them.
TEST_F(WalAgentTest, AnswersWalFetchOnTheSameSocket) {
  std::string path = WriteSegment("000000010000000000000001", 'a', false);
  StartAgent();
  ASSERT_TRUE(Push(path).ok());
  const std::string destination = dir_->path() + "/RECOVERYXLOG";
  auto fetched =
      FetchWalThroughAgent(Socket(), cluster_, "000000010000000000000001", destination, 5s);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_TRUE(fetched->has_value());
  std::ifstream original(path, std::ios::binary);
  std::ifstream restored(destination, std::ios::binary);
  EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(original), {},
                         std::istreambuf_iterator<char>(restored), {}));
  auto missing =
      FetchWalThroughAgent(Socket(), cluster_, "000000010000000000000002", destination, 5s);
  EXPECT_EQ(missing.status().code(), core::ErrorCode::kNotFound) << missing.status().ToString();
  StopAgent();
  EXPECT_EQ(answers_, std::vector<std::string>{"000000010000000000000001:ok:1"});
}

TEST_F(WalAgentTest, NoAgentListeningIsNoAnswer) {
  auto pushed = Push(WriteSegment("000000010000000000000001", 'a', false));
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_FALSE(pushed->has_value()) << "wal-push archives alone";
}

// An agent killed while it stores a file closes the connection without an answer: wal-push must
// not take that for "stored" (the snapshot may never have been committed); it archives alone.
TEST_F(WalAgentTest, AnAgentGoneBeforeItsAnswerIsNeverTakenForStored) {
  auto listener = core::UnixListener::Bind(Socket(), 0600, ::geteuid(), ::getegid());
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  std::thread dying([&] {
    auto connection = listener->Accept(5s);
    ASSERT_TRUE(connection.ok());
    auto request = connection->Receive(5s);
    EXPECT_TRUE(request.ok()) << "the request arrived whole";
    // The connection closes here, unanswered.
  });
  auto pushed = Push(WriteSegment("000000010000000000000001", 'a', false));
  dying.join();
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_FALSE(pushed->has_value());
}

TEST_F(WalAgentTest, AnAnswerThatIsNotUnderstoodIsAnErrorNotSuccess) {
  auto listener = core::UnixListener::Bind(Socket(), 0600, ::geteuid(), ::getegid());
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  std::thread garbled([&] {
    auto connection = listener->Accept(5s);
    ASSERT_TRUE(connection.ok());
    ASSERT_TRUE(connection->Receive(5s).ok());
    EXPECT_TRUE(connection->Send("{\"stored\":1}").ok());
  });
  auto pushed = Push(WriteSegment("000000010000000000000001", 'a', false));
  garbled.join();
  EXPECT_FALSE(pushed.ok());
}

}  // namespace
}  // namespace hasteward::pitr
