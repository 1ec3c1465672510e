#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/hex.h"
#include "repo/compress/zstd_codec.h"
#include "repo/crypto/key_file.h"
#include "repo/format/go_json.h"
#include "repo/index/master_index.h"
#include "repo/pack/pack.h"
#include "repo/snapshot/snapshot.h"
#include "repo/tv4.h"

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace format_test {
namespace {

MasterKey Tv4Key() {
  return *ParseMasterKeyJson(tv4::kMasterKeyJson);
}

TEST(GoJsonTest, EscapesLikeGo) {
  EXPECT_EQ(GoJsonString("a<b>&\"\\\n\x01"), "\"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\u0001\"");
  EXPECT_EQ(GoJsonString("\xe2\x80\xa8"), "\"\\u2028\"");
  EXPECT_EQ(GoJsonString("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(GoJsonString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(GoJsonTest, QuotesNamesLikeStrconv) {
  std::string name = "we<i>rd&\"q\\\xc3\xa9\x01\x7f.txt";
  EXPECT_EQ(GoJsonString(GoQuoteName(name)),
            "\"we\\u003ci\\u003erd\\u0026\\\\\\\"q\\\\\\\\\xc3\xa9\\\\x01\\\\x7f.txt\"");
  EXPECT_EQ(*GoUnquoteName(GoQuoteName(name)), name);
}

TEST(GoJsonTest, FormatsAndParsesTimesWithOffsets) {
  auto t = ParseGoTime("2023-07-02T03:04:05.120000000+02:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Format(), "2023-07-02T03:04:05.12+02:00");
  EXPECT_EQ(t->unix_seconds, 1688259845);
  auto c = t->ToCivil();
  EXPECT_EQ(c.hour, 3);
  EXPECT_EQ(ParseGoTime("2023-01-02T03:04:05Z")->Format(), "2023-01-02T03:04:05Z");
  EXPECT_FALSE(ParseGoTime("2023-01-02 03:04").ok());
}

// Two backups within one second must still order: "latest" is the newer one.
TEST(GoJsonTest, LocalTimeNowKeepsNanoseconds) {
  core::ManualClock clock(std::chrono::system_clock::time_point(
      std::chrono::seconds(1700000000) + std::chrono::nanoseconds(123456789)));
  GoTime first = LocalTimeNow(clock);
  EXPECT_EQ(first.unix_seconds, 1700000000);
  EXPECT_EQ(first.nanos, 123456789);
  clock.Advance(std::chrono::microseconds(5));
  GoTime second = LocalTimeNow(clock);
  EXPECT_TRUE(first < second);
  EXPECT_NE(second.Format().find(".123461789"), std::string::npos) << second.Format();
}

TEST(TreeTest, StdinTreeIsByteIdenticalToRestic) {
  Node n;
  n.name = "hello.txt";
  n.type = "file";
  n.mode = 0644;
  n.mtime = n.atime = n.ctime = *ParseGoTime("2023-01-02T03:04:05Z");
  n.size = 6;
  n.content = {*IdFromHex(tv4::kHelloBlobId)};
  std::string json = EncodeTreeJson({n});
  EXPECT_EQ(json, tv4::kTreeJson);
  EXPECT_EQ(IdToHex(Sha256(core::AsBytes(json))), tv4::kTreeId);
  auto parsed = ParseTreeJson(json);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)[0].content, n.content);
}

TEST(SnapshotTest, DecodesResticSnapshotAndEncodesItBack) {
  auto plain = Decrypt(Tv4Key(), *core::HexDecode(tv4::kSnapshotHex));
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ((*plain)[0], 2);  // v2 "unpacked" encoding: zstd-compressed JSON
  core::Bytes json;
  ASSERT_TRUE(ZstdDecompress(core::ByteView(*plain).subspan(1), 0, &json).ok());
  EXPECT_EQ(core::AsString(json), tv4::kSnapshotJson);
  auto snap = ParseSnapshotJson(core::AsString(json));
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(EncodeSnapshotJson(*snap), tv4::kSnapshotJson);
}

// restic 0.17 writes a "summary" with more fields than HASteward models: the start and end are
// read from it, and a snapshot without one (restic before 0.17) has neither.
TEST(SnapshotTest, ReadsBackupStartAndEndFromResticSummary) {
  std::string json = std::string(tv4::kSnapshotJson);
  json.insert(json.size() - 1,
              ",\"summary\":{\"backup_start\":\"2026-11-22T10:00:00.5Z\",\"backup_end\":"
              "\"2026-11-22T10:07:00+01:00\",\"files_new\":3,\"data_added\":12}");
  auto snap = ParseSnapshotJson(json);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  ASSERT_TRUE(snap->backup_start && snap->backup_end);
  EXPECT_EQ(snap->backup_end->Format(), "2026-11-22T10:07:00+01:00");
  EXPECT_EQ(snap->backup_end->unix_seconds - snap->backup_start->unix_seconds, 7 * 60 - 3600);
  auto again = ParseSnapshotJson(EncodeSnapshotJson(*snap));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->backup_end->Format(), "2026-11-22T10:07:00+01:00");
  EXPECT_FALSE(ParseSnapshotJson(tv4::kSnapshotJson)->backup_end.has_value());
}

TEST(PackTest, ParsesResticPackAndDecodesItsBlob) {
  core::Bytes pack = *core::HexDecode(tv4::kDataPackHex);
  EXPECT_EQ(IdToHex(Sha256(pack)), tv4::kDataPackId);
  auto blobs = ParsePackHeader(Tv4Key(), pack, pack.size());
  ASSERT_TRUE(blobs.ok()) << blobs.status().ToString();
  ASSERT_EQ(blobs->size(), 1u);
  const PackedBlob& b = (*blobs)[0];
  EXPECT_EQ(b.length, 47u);
  EXPECT_EQ(b.uncompressed_length, 6u);
  EXPECT_EQ(IdToHex(b.id), tv4::kHelloBlobId);
  core::Bytes plain;
  ASSERT_TRUE(
      DecodeBlob(Tv4Key(), b, core::ByteView(pack.data() + b.offset, b.length), &plain).ok());
  EXPECT_EQ(core::AsString(plain), "hello\n");
  EXPECT_EQ(PackSizeFromBlobs(*blobs), pack.size());
}

TEST(PackTest, WriterOutputParsesBackAndDetectsFlippedBytes) {
  MasterKey key = MasterKey::Random();
  PackWriter w(&key);
  std::vector<std::string> payloads = {"alpha", std::string(100000, 'x'), "gamma"};
  for (size_t i = 0; i < payloads.size(); ++i) {
    auto bytes = core::AsBytes(payloads[i]);
    w.Add(EncodeBlob(key, BlobType::kData, Sha256(bytes), bytes, i != 2, 3));
  }
  auto f = w.Finish();
  EXPECT_EQ(f.id, Sha256(f.data));
  auto blobs = ParsePackHeader(key, f.data, f.data.size());
  ASSERT_TRUE(blobs.ok());
  ASSERT_EQ(blobs->size(), 3u);
  EXPECT_EQ((*blobs)[2].uncompressed_length, 0u);
  core::Bytes plain;
  for (size_t i = 0; i < 3; ++i) {
    const auto& b = (*blobs)[i];
    ASSERT_TRUE(
        DecodeBlob(key, b, core::ByteView(f.data.data() + b.offset, b.length), &plain).ok());
    EXPECT_EQ(core::AsString(plain), payloads[i]);
  }
  core::Bytes bad = f.data;
  bad[(*blobs)[1].offset + 40] ^= 0x10;
  const auto& b1 = (*blobs)[1];
  auto s = DecodeBlob(key, b1, core::ByteView(bad.data() + b1.offset, b1.length), &plain);
  EXPECT_EQ(s.code(), core::ErrorCode::kCorruption);
  EXPECT_NE(s.message().find(IdToHex(b1.id)), std::string::npos) << s.message();
}

TEST(IndexTest, EncodesLikeResticAndParsesBack) {
  IndexFile idx;
  PackedBlob b{*IdFromHex(tv4::kHelloBlobId), BlobType::kData, 0, 47, 6};
  idx.packs.push_back({*IdFromHex(tv4::kDataPackId), {b}});
  std::string json = EncodeIndexJson(idx);
  EXPECT_EQ(
      json,
      "{\"packs\":[{\"id\":\"953f8ba7bf64d21baa892a496a5594acb0e63c99d773ae0cfc4682147014fee0\","
      "\"blobs\":[{\"id\":\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\","
      "\"type\":\"data\",\"offset\":0,\"length\":47,\"uncompressed_length\":6}]}]}\n");
  auto parsed = ParseIndexJson(json);
  ASSERT_TRUE(parsed.ok());
  MasterIndex mi;
  mi.AddPack(parsed->packs[0].first, parsed->packs[0].second);
  auto loc = mi.Lookup(b.id, BlobType::kData);
  ASSERT_TRUE(loc.has_value());
  EXPECT_EQ(loc->blob.length, 47u);
  EXPECT_FALSE(mi.Has(b.id, BlobType::kTree));
  EXPECT_FALSE(ParseIndexJson("[{\"id\":\"x\"}]").ok());
}

}  // namespace
}  // namespace format_test
}  // namespace hasteward::repo
