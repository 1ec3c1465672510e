// The SPDY/3.1 framing of the test node agent (tests/support/spdy_framing.h), a unit test with no
// server. End to end it is checked by real peers: the real kube-apiserver translates every
// WebSocket exec of pod_exec_test.cpp to SPDY toward the agent, and kubectl 1.20 upgrades to SPDY
// itself in tests/integration/real_kube_rbac_test.cpp.
#include "support/spdy_framing.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <zlib.h>

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;

TEST(SpdyFramingTest, DictionaryIsTheOneClientsNameInTheirZlibHeader) {
  const core::Bytes& dictionary = SpdyHeaderDictionary();
  EXPECT_EQ(dictionary.size(), 1423U);
  // A client's first header block carries this DICTID; zlib refuses any other dictionary.
  EXPECT_EQ(adler32(1, dictionary.data(), static_cast<uInt>(dictionary.size())), 0xE3C6A7C2U);
}

TEST(SpdyFramingTest, HeaderBlocksRoundTripAcrossOneSessionContext) {
  SpdyHeaderCodec writer, reader;
  for (const SpdyHeaders& headers :
       {SpdyHeaders{{"streamtype", "error"}}, SpdyHeaders{{"streamtype", "stdout"}, {"x", ""}},
        SpdyHeaders{}}) {
    core::Bytes block = writer.Encode(headers);
    auto decoded = reader.Decode(block);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, headers);
  }
}

TEST(SpdyFramingTest, FramesReadBackAsWritten) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  auto ours = k8s::NetStream::FromAcceptedPlain(core::UniqueFd(fds[0]));
  auto theirs = k8s::NetStream::FromAcceptedPlain(core::UniqueFd(fds[1]));
  core::Bytes wire;
  AppendSpdyDataFrame(5, kSpdyFlagFin, core::AsBytes(std::string("hi")), &wire);
  const uint8_t ping_id[] = {0, 0, 0, 1};
  AppendSpdyControlFrame(SpdyFrameType::kPing, 0, ping_id, &wire);
  ASSERT_TRUE(theirs->WriteAll(wire).ok());
  k8s::BufferedReader reader(ours.get());

  auto data = ReadSpdyFrame(reader, 1024);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->type, SpdyFrameType::kData);
  EXPECT_EQ(data->stream_id, 5U);
  EXPECT_EQ(data->flags, kSpdyFlagFin);
  EXPECT_EQ(std::string(data->payload.begin(), data->payload.end()), "hi");
  auto ping = ReadSpdyFrame(reader, 1024);
  ASSERT_TRUE(ping.ok()) << ping.status().ToString();
  EXPECT_EQ(ping->type, SpdyFrameType::kPing);
  EXPECT_EQ(SpdyControlStreamId(*ping), 1U);
}

}  // namespace
}  // namespace hasteward::testing
