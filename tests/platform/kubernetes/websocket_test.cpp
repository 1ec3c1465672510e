// RFC 6455 framing as both sides use it (websocket.h), over a socket pair: a message of one frame
// and a fragmented one arrive whole, and a ping in between is answered through the caller's reply
// writer (which serialises it with the caller's other frames), never written around it.
#include "platform/kubernetes/websocket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "core/fd.h"

namespace hasteward::platform::kubernetes {
namespace {

class WebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    ours_ = NetStream::FromAcceptedPlain(core::UniqueFd(fds[0]));
    peer_ = NetStream::FromAcceptedPlain(core::UniqueFd(fds[1]));
    reader_ = std::make_unique<BufferedReader>(ours_.get());
  }

  // The peer (a client: masked) sends one frame.
  void PeerSends(WsOpcode opcode, const std::string& payload, bool final = true) {
    core::Bytes frame;
    AppendWsFrame(opcode, core::AsBytes(payload), WsMasking::kMasked, &frame);
    if (!final) {
      frame[0] &= 0x7f;  // FIN bit cleared: a fragment
    }
    ASSERT_TRUE(peer_->WriteAll(frame).ok());
  }

  std::unique_ptr<NetStream> ours_;
  std::unique_ptr<NetStream> peer_;
  std::unique_ptr<BufferedReader> reader_;
};

TEST_F(WebSocketTest, AMessageArrivesWholeAndAPingIsAnsweredThroughTheReplyWriter) {
  std::vector<std::pair<WsOpcode, std::string>> replies;
  const WsReply reply = [&replies](WsOpcode opcode, core::ByteView payload) {
    replies.emplace_back(opcode, std::string(payload.begin(), payload.end()));
    return core::Status::Ok();
  };
  PeerSends(WsOpcode::kBinary, "one frame");
  PeerSends(WsOpcode::kBinary, "first half, ", /*final=*/false);
  PeerSends(WsOpcode::kPing, "are you there");
  PeerSends(WsOpcode::kContinuation, "second half");

  auto single = ReadWsMessage(*reader_, reply, 1 << 20);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(single->opcode, WsOpcode::kBinary);
  EXPECT_EQ(std::string(single->payload.begin(), single->payload.end()), "one frame");

  auto joined = ReadWsMessage(*reader_, reply, 1 << 20);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(joined->opcode, WsOpcode::kBinary);
  EXPECT_EQ(std::string(joined->payload.begin(), joined->payload.end()), "first half, second half");
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].first, WsOpcode::kPong);
  EXPECT_EQ(replies[0].second, "are you there");
}

TEST_F(WebSocketTest, AFailedPongEndsTheRead) {
  const WsReply refuse = [](WsOpcode, core::ByteView) {
    return core::Status(core::ErrorCode::kUnreachable, "the connection is gone");
  };
  PeerSends(WsOpcode::kPing, "ping");
  PeerSends(WsOpcode::kBinary, "after");
  auto read = ReadWsMessage(*reader_, refuse, 1 << 20);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), core::ErrorCode::kUnreachable);
}

TEST_F(WebSocketTest, AMessageAboveTheLimitIsRefused) {
  const WsReply reply = [](WsOpcode, core::ByteView) {
    return core::Status::Ok();
  };
  PeerSends(WsOpcode::kBinary, std::string(600, 'a'), /*final=*/false);
  PeerSends(WsOpcode::kContinuation, std::string(600, 'b'));
  auto read = ReadWsMessage(*reader_, reply, 1000);
  ASSERT_FALSE(read.ok());
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
