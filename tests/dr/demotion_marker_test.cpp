// The demotion marker's codec and its object: a round trip through an encrypted object in a real
// local repository, absence, a marker of another cluster, and that prune's cursor listing never
// takes it for a (then unreadable, keep-everything) cursor.
#include "dr/demotion_marker.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "storage/local/local_backend.h"

namespace hasteward::dr {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace demotion_marker_test {
namespace {

platform::Cluster Shop() {
  platform::Cluster cluster;
  cluster.engine = platform::EngineKind::kPostgres;
  cluster.ns = "pt";
  cluster.name = "shop";
  return cluster;
}

DemotionMarker Sample() {
  DemotionMarker marker;
  marker.engine = "cnpg";
  marker.namespace_name = "pt";
  marker.cluster = "shop";
  marker.position_kind = repo::CursorPositionKind::kWalSegment;
  marker.position = "000000010000000000000005";
  marker.end = "LSN 0/5000028 timeline 1";
  marker.written_unix = 1800000000;
  marker.writer = "hasteward instance stop on site-a";
  return marker;
}

class DemotionMarkerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-marker-").value()));
    repo::InitOptions init;
    init.kdf = repo::KdfParams{1024, 8, 1};  // fast for tests
    auto repository = repo::Repository::Init(
        std::make_unique<storage::LocalBackend>(dir_->path() + "/repo"), "pw", init);
    ASSERT_TRUE(repository.ok()) << repository.status().ToString();
    repo_ = std::move(*repository);
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<repo::Repository> repo_;
};

TEST(DemotionMarkerTest, JsonRoundTripKeepsEveryField) {
  auto decoded = DecodeDemotionMarker(EncodeDemotionMarker(Sample()));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(EncodeDemotionMarker(*decoded), EncodeDemotionMarker(Sample()));
  EXPECT_EQ(DemotionMarkerObjectName(Shop()), "demotion/cnpg.pt.shop.marker");
  std::string newer = EncodeDemotionMarker(Sample());
  newer.replace(newer.find("\"version\":1"), 11, "\"version\":2");
  EXPECT_EQ(DecodeDemotionMarker(newer).status().code(), core::ErrorCode::kCorruption);
}

TEST_F(DemotionMarkerStoreTest, SavedMarkerLoadsAndIsNoCursor) {
  auto absent = LoadDemotionMarker(*repo_, Shop());
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_FALSE(absent->has_value());

  ASSERT_TRUE(SaveDemotionMarker(*repo_, Shop(), Sample()).ok());
  auto loaded = LoadDemotionMarker(*repo_, Shop());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->position, "000000010000000000000005");

  // A newer demotion replaces the object whole.
  DemotionMarker newer = Sample();
  newer.position = "000000010000000000000009";
  ASSERT_TRUE(SaveDemotionMarker(*repo_, Shop(), newer).ok());
  EXPECT_EQ((*LoadDemotionMarker(*repo_, Shop()))->position, "000000010000000000000009");

  // Prune reads every cursor; an unreadable one keeps everything, so the marker must not be one.
  auto cursors = repo::LoadStandbyCursors(*repo_);
  ASSERT_TRUE(cursors.ok());
  EXPECT_TRUE(cursors->empty());
}

TEST_F(DemotionMarkerStoreTest, AMarkerNamingAnotherClusterIsCorruption) {
  DemotionMarker other = Sample();
  other.cluster = "other";
  ASSERT_TRUE(SaveDemotionMarker(*repo_, Shop(), other).ok());
  EXPECT_EQ(LoadDemotionMarker(*repo_, Shop()).status().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace demotion_marker_test
}  // namespace hasteward::dr
