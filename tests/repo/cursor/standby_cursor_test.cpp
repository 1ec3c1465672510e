// The retention floor cursor's codec and its storage: a round trip through JSON and through an
// encrypted object in a real local repository, the decode errors, the name rule, and an object
// that is torn or names another standby read as unreadable rather than dropped.
#include "repo/cursor/standby_cursor.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "storage/local/local_backend.h"

namespace hasteward::repo {
namespace {

StandbyCursor Sample() {
  StandbyCursor cursor;
  cursor.standby = "shop-dr";
  cursor.engine = "cnpg";
  cursor.namespace_name = "pt";
  cursor.cluster = "shop";
  cursor.backup_id = std::string(64, 'a');
  cursor.backup_end = "2026-11-23T10:00:00Z";
  cursor.position_kind = CursorPositionKind::kWalSegment;
  cursor.position = "000000010000000000000005";
  cursor.written_unix = 1800000000;
  cursor.ttl_seconds = 3600;
  return cursor;
}

TEST(StandbyCursorTest, JsonRoundTripKeepsEveryField) {
  auto decoded = DecodeStandbyCursor(EncodeStandbyCursor(Sample()));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(EncodeStandbyCursor(*decoded), EncodeStandbyCursor(Sample()));
  EXPECT_EQ(decoded->position_kind, CursorPositionKind::kWalSegment);
  EXPECT_EQ(decoded->ClusterKey(), "cnpg/pt/shop");
  EXPECT_EQ(decoded->ExpiresUnix(), 1800003600);
}

TEST(StandbyCursorTest, LiveUntilWrittenPlusTtlThenExpired) {
  StandbyCursor cursor = Sample();
  EXPECT_TRUE(cursor.LiveAt(1800000000));
  EXPECT_TRUE(cursor.LiveAt(1800003600));
  EXPECT_FALSE(cursor.LiveAt(1800003601));
}

TEST(StandbyCursorTest, DecodeNamesWhatIsWrong) {
  EXPECT_EQ(DecodeStandbyCursor("not json").status().code(), core::ErrorCode::kCorruption);
  std::string json = EncodeStandbyCursor(Sample());
  std::string newer = json;
  newer.replace(newer.find("\"version\":1"), 11, "\"version\":2");
  EXPECT_NE(DecodeStandbyCursor(newer).status().message().find("version 2"), std::string::npos);
  std::string no_ttl = json;
  no_ttl.replace(no_ttl.find("\"ttlSeconds\":3600"), 17, "\"ttlSeconds\":0");
  EXPECT_NE(DecodeStandbyCursor(no_ttl).status().message().find("ttlSeconds"), std::string::npos);
  std::string no_backup = json;
  no_backup.replace(no_backup.find("\"backup\":"), 9, "\"backupX\":");
  EXPECT_NE(DecodeStandbyCursor(no_backup).status().message().find("needs.backup"),
            std::string::npos);
}

TEST(StandbyCursorTest, NamesAreObjectSafe) {
  EXPECT_TRUE(ValidateStandbyName("shop-dr").ok());
  EXPECT_TRUE(ValidateStandbyName("site-b.shop").ok());
  EXPECT_EQ(ValidateStandbyName("Shop").code(), core::ErrorCode::kUsage);
  EXPECT_FALSE(ValidateStandbyName("a/b").ok());
  EXPECT_FALSE(ValidateStandbyName("-x").ok());
  EXPECT_FALSE(ValidateStandbyName("").ok());
  EXPECT_FALSE(ValidateStandbyName(std::string(64, 'a')).ok());
  EXPECT_EQ(StandbyCursorObjectName("shop-dr"), "shop-dr.json");
}

class StandbyCursorStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-cursor-").value()));
    InitOptions init;
    init.kdf = KdfParams{1024, 8, 1};  // fast for tests
    auto repository = Repository::Init(
        std::make_unique<storage::LocalBackend>(dir_->path() + "/repo"), "pw", init);
    ASSERT_TRUE(repository.ok()) << repository.status().ToString();
    repo_ = std::move(*repository);
  }

  void Put(const std::string& name, const std::string& bytes) {
    ASSERT_TRUE(
        repo_->backend()
            .Save(storage::Handle{storage::FileType::kStandbyCursor, name}, core::AsBytes(bytes))
            .ok());
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<Repository> repo_;
};

TEST_F(StandbyCursorStoreTest, SavedCursorIsEncryptedAndReadBack) {
  ASSERT_TRUE(SaveStandbyCursor(*repo_, Sample()).ok());
  StandbyCursor newer = Sample();
  newer.written_unix += 300;  // a refresh replaces the object
  ASSERT_TRUE(SaveStandbyCursor(*repo_, newer).ok());
  auto reads = LoadStandbyCursors(*repo_);
  ASSERT_TRUE(reads.ok()) << reads.status().ToString();
  ASSERT_EQ(reads->size(), 1U);
  ASSERT_TRUE(reads->front().cursor.has_value()) << reads->front().error.ToString();
  EXPECT_EQ(reads->front().object_name, "shop-dr.json");
  EXPECT_EQ(reads->front().cursor->written_unix, newer.written_unix);
  core::Bytes raw;
  ASSERT_TRUE(
      repo_->backend()
          .Load(storage::Handle{storage::FileType::kStandbyCursor, "shop-dr.json"}, 0, 0, &raw)
          .ok());
  EXPECT_EQ(core::AsString(raw).find("shop"), std::string::npos) << "stored in the clear";
}

TEST_F(StandbyCursorStoreTest, TornOrMisnamedObjectsAreUnreadableNotDropped) {
  ASSERT_TRUE(SaveStandbyCursor(*repo_, Sample()).ok());
  Put("torn.json", "{\"version\":1");
  StandbyCursor other = Sample();
  other.standby = "other";
  core::Bytes sealed = Encrypt(repo_->key(), core::AsBytes(EncodeStandbyCursor(other)));
  Put("renamed.json", std::string(sealed.begin(), sealed.end()));
  Put("notes.txt", "an operator's file");  // not a cursor name: ignored
  auto reads = LoadStandbyCursors(*repo_);
  ASSERT_TRUE(reads.ok());
  ASSERT_EQ(reads->size(), 3U);
  size_t unreadable = 0;
  for (const CursorRead& read : *reads) {
    if (!read.cursor) {
      ++unreadable;
      EXPECT_EQ(read.error.code(), core::ErrorCode::kCorruption) << read.object_name;
    }
  }
  EXPECT_EQ(unreadable, 2U);
}

TEST_F(StandbyCursorStoreTest, ARepositoryWithoutCursorsListsNone) {
  auto reads = LoadStandbyCursors(*repo_);
  ASSERT_TRUE(reads.ok()) << reads.status().ToString();
  EXPECT_TRUE(reads->empty());
}

}  // namespace
}  // namespace hasteward::repo
