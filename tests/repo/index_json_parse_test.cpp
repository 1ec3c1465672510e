// ParseIndexJson's streaming parse: what restic writes and what the DOM parse it replaced
// accepted (keys in any order, unknown keys, null lists), and what it refuses.
#include <gtest/gtest.h>

#include "repo/index/master_index.h"

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace index_json_parse_test {
namespace {

Id IdOf(uint8_t fill) {
  Id id;
  id.fill(fill);
  return id;
}

std::string Hex(uint8_t fill) {
  return IdToHex(IdOf(fill));
}

bool SameBlob(const PackedBlob& a, const PackedBlob& b) {
  return a.id == b.id && a.type == b.type && a.offset == b.offset && a.length == b.length &&
         a.uncompressed_length == b.uncompressed_length;
}

TEST(IndexJsonParseTest, ReadsBackWhatEncodeIndexJsonWrites) {
  IndexFile index;
  index.supersedes = {IdOf(1), IdOf(2)};
  for (uint8_t p = 0; p < 3; ++p) {
    std::vector<PackedBlob> blobs;
    for (uint32_t b = 0; b < 5; ++b) {
      blobs.push_back(PackedBlob{IdOf(static_cast<uint8_t>(16 + p * 5 + b)),
                                 b % 2 == 0 ? BlobType::kData : BlobType::kTree, b * 100, 100 + b,
                                 b == 3 ? 0U : 4000000000U + b});
    }
    index.packs.emplace_back(IdOf(static_cast<uint8_t>(200 + p)), std::move(blobs));
  }
  auto parsed = ParseIndexJson(EncodeIndexJson(index));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->supersedes, index.supersedes);
  ASSERT_EQ(parsed->packs.size(), index.packs.size());
  for (size_t p = 0; p < index.packs.size(); ++p) {
    EXPECT_EQ(parsed->packs[p].first, index.packs[p].first);
    ASSERT_EQ(parsed->packs[p].second.size(), index.packs[p].second.size());
    for (size_t b = 0; b < index.packs[p].second.size(); ++b) {
      EXPECT_TRUE(SameBlob(parsed->packs[p].second[b], index.packs[p].second[b])) << p << "/" << b;
    }
  }
}

TEST(IndexJsonParseTest, TakesKeysInAnyOrderAndSkipsUnknownOnes) {
  const std::string json =
      "{\"extra\":{\"packs\":[1,{\"id\":\"x\"}],\"blobs\":null},\n"
      " \"packs\":[{\"blobs\":[{\"length\":7,\"note\":[{\"id\":3}],"
      "\"offset\":5,\"type\":\"tree\",\"id\":\"" +
      Hex(9) + "\"}],\"later\":true,\"id\":\"" + Hex(8) + "\"}],\"supersedes\":[\"" + Hex(7) +
      "\"]}";
  auto parsed = ParseIndexJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->supersedes.size(), 1U);
  EXPECT_EQ(parsed->supersedes[0], IdOf(7));
  ASSERT_EQ(parsed->packs.size(), 1U);
  EXPECT_EQ(parsed->packs[0].first, IdOf(8));
  ASSERT_EQ(parsed->packs[0].second.size(), 1U);
  EXPECT_TRUE(SameBlob(parsed->packs[0].second[0], PackedBlob{IdOf(9), BlobType::kTree, 5, 7, 0}));
}

TEST(IndexJsonParseTest, NullListsListNothing) {
  auto none = ParseIndexJson("{\"supersedes\":null,\"packs\":null}");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->packs.empty());
  EXPECT_TRUE(none->supersedes.empty());
  auto empty_pack = ParseIndexJson("{\"packs\":[{\"id\":\"" + Hex(3) + "\",\"blobs\":null}]}");
  ASSERT_TRUE(empty_pack.ok()) << empty_pack.status().ToString();
  ASSERT_EQ(empty_pack->packs.size(), 1U);
  EXPECT_TRUE(empty_pack->packs[0].second.empty());
}

TEST(IndexJsonParseTest, RefusesWhatIsNoIndexFile) {
  const std::string blob =
      "{\"id\":\"" + Hex(1) + "\",\"type\":\"data\",\"offset\":0,\"length\":9}";
  const std::string pack = "{\"id\":\"" + Hex(2) + "\",\"blobs\":[" + blob + "]}";
  struct Case {
    std::string json;
    std::string message;  // a part of the error message
  };
  const std::vector<Case> cases = {
      {"[{\"id\":\"x\"}]", "not a JSON object"},
      {"{\"packs\":[" + pack + "]", "not a JSON object"},  // cut short
      {"{\"packs\":[]} {}", "not a JSON object"},          // text after the object
      {"{}", "no \"packs\""},
      {"{\"packs\":{}}", "malformed"},
      {"{\"packs\":[7]}", "malformed"},
      {"{\"packs\":[{\"blobs\":[]}]}", "malformed"},               // a pack without id
      {"{\"packs\":[{\"id\":\"" + Hex(2) + "\"}]}", "malformed"},  // without blobs
      {"{\"packs\":[{\"id\":\"" + Hex(2) + "\",\"blobs\":[{\"id\":\"" + Hex(1) +
           "\",\"type\":\"data\",\"offset\":0}]}]}",
       "malformed"},  // a blob without length
      {"{\"packs\":[{\"id\":\"" + Hex(2) + "\",\"blobs\":[{\"id\":\"" + Hex(1) +
           "\",\"type\":\"data\",\"offset\":\"0\",\"length\":9}]}]}",
       "not a number"},
      {"{\"packs\":[{\"id\":\"" + Hex(2) + "\",\"blobs\":[{\"id\":\"" + Hex(1) +
           "\",\"type\":\"file\",\"offset\":0,\"length\":9}]}]}",
       "unknown type 'file'"},
      {"{\"packs\":[{\"id\":\"zz\",\"blobs\":[" + blob + "]}]}", "invalid id 'zz'"},
      {"{\"supersedes\":[3],\"packs\":[]}", "malformed"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseIndexJson(c.json);
    ASSERT_FALSE(parsed.ok()) << c.json;
    EXPECT_EQ(parsed.status().code(), core::ErrorCode::kCorruption) << c.json;
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos)
        << c.json << ": " << parsed.status().message();
  }
}

}  // namespace
}  // namespace index_json_parse_test
}  // namespace hasteward::repo
