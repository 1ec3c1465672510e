#include "core/unix_socket.h"

#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/temp_dir.h"

namespace hasteward::core {
namespace {

using std::chrono::milliseconds;

class UnixSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("hs-unix-socket-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<TempDir>(std::move(*dir));
  }
  std::string Path(const std::string& name) const { return dir_->path() + "/" + name; }
  std::unique_ptr<TempDir> dir_;
};

// A message and an open descriptor arrive whole; the receiver reads the file through the
// descriptor it got, not through any path.
TEST_F(UnixSocketTest, MessageAndDescriptorArriveTogether) {
  auto listener = UnixListener::Bind(Path("s.sock"), 0600, ::geteuid(), ::getegid());
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  struct stat info {};
  ASSERT_EQ(::stat(Path("s.sock").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
  ASSERT_TRUE(WriteAll(UniqueFd(::open(Path("f").c_str(), O_CREAT | O_WRONLY, 0600)).get(),
                       AsBytes("segment bytes"))
                  .ok());
  std::thread client([&] {
    auto connection = UnixConnection::Connect(Path("s.sock"));
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    UniqueFd file(::open(Path("f").c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(connection->Send(std::string(100000, 'x'), {file.get()}).ok());
    auto answer = connection->Receive(milliseconds(5000));
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    EXPECT_EQ(answer->payload, "done");
  });
  auto accepted = listener->Accept(milliseconds(5000));
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(*accepted->PeerUid(), ::geteuid());
  auto message = accepted->Receive(milliseconds(5000));
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_EQ(message->payload, std::string(100000, 'x'));
  ASSERT_EQ(message->fds.size(), 1U);
  ::unlink(Path("f").c_str());  // the descriptor still reads the file
  char buffer[32] = {};
  EXPECT_EQ(::pread(message->fds[0].get(), buffer, sizeof(buffer), 0), 13);
  EXPECT_EQ(std::string(buffer), "segment bytes");
  ASSERT_TRUE(accepted->Send("done").ok());
  client.join();
}

// Nobody listening is kNotFound (the caller works alone); a peer that closes mid-wait is
// kUnreachable; silence is kTimeout.
TEST_F(UnixSocketTest, AbsentSilentAndClosedPeersAreTold) {
  EXPECT_EQ(UnixConnection::Connect(Path("none.sock")).status().code(), ErrorCode::kNotFound);
  {
    auto listener = UnixListener::Bind(Path("s.sock"), 0600, ::geteuid(), ::getegid());
    ASSERT_TRUE(listener.ok());
    auto connection = UnixConnection::Connect(Path("s.sock"));
    ASSERT_TRUE(connection.ok());
    EXPECT_EQ(connection->Receive(milliseconds(100)).status().code(), ErrorCode::kTimeout);
    {
      auto accepted = listener->Accept(milliseconds(1000));
      ASSERT_TRUE(accepted.ok());
    }  // the server side closes
    EXPECT_EQ(connection->Receive(milliseconds(1000)).status().code(), ErrorCode::kUnreachable);
  }
  EXPECT_EQ(::access(Path("s.sock").c_str(), F_OK), -1) << "the listener removes its socket";
}

// A second listener on a live socket is refused; a stale socket file is replaced; a regular file
// in the way is never removed.
TEST_F(UnixSocketTest, BindRefusesALiveSocketAndOtherFiles) {
  auto first = UnixListener::Bind(Path("s.sock"), 0600, ::geteuid(), ::getegid());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(UnixListener::Bind(Path("s.sock"), 0600, ::geteuid(), ::getegid()).status().code(),
            ErrorCode::kUsage);
  ASSERT_TRUE(WriteAll(UniqueFd(::open(Path("plain").c_str(), O_CREAT | O_WRONLY, 0600)).get(),
                       AsBytes("keep"))
                  .ok());
  EXPECT_EQ(UnixListener::Bind(Path("plain"), 0600, ::geteuid(), ::getegid()).status().code(),
            ErrorCode::kUsage);
  EXPECT_EQ(::access(Path("plain").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace hasteward::core
