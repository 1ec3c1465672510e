// Conformance of every pitr::Archive kind, made by pitr::MakeArchive from the real engines (no
// server: what each kind answers without one): the feed and the commands that go with it, the
// one --until parser over the kind's own position flag, status and retention over a real empty
// repository, and the restore request's checks.
#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "pitr/archive.h"
#include "platform/registry.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward::pitr {
namespace {

struct KindCase {
  platform::EngineKind engine;
  ArchiveFeed feed;
  const char* own_flag;
  const char* other_flag;
  const char* position;  // a valid position in the kind's syntax
};

class ArchiveConformanceTest : public ::testing::TestWithParam<KindCase> {
 protected:
  void SetUp() override {
    auto made = engine::MakeEngine(GetParam().engine);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    engine_ = std::move(*made);
    auto archive = MakeArchive(*engine_);
    ASSERT_TRUE(archive.ok()) << archive.status().ToString();
    archive_ = std::move(*archive);
    cluster_.engine = GetParam().engine;
    cluster_.name = "shop";
    cluster_.ns = "conformance";
  }

  std::unique_ptr<repo::Repository> EmptyRepository() {
    auto dir = core::TempDir::Create("hs-archive-conformance-");
    EXPECT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::make_unique<core::TempDir>(std::move(dir).value());
    repo::InitOptions options;
    options.kdf = repo::KdfParams{1024, 8, 1};  // fast for tests
    auto backend = storage::OpenBackend(dir_->path() + "/repo");
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    auto repo = repo::Repository::Init(std::move(*backend), "pw", options);
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    return std::move(*repo);
  }

  core::Result<RestorePoint> Parse(const std::string& time, const std::string& flag,
                                   const std::string& position) {
    UntilFlags flags;
    flags.time = time;
    flags.positions = {{GetParam().own_flag, ""}, {GetParam().other_flag, ""}};
    if (!flag.empty()) {
      flags.positions[flag] = position;
    }
    return ParseUntil(flags, *archive_);
  }

  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Archive> archive_;
  std::unique_ptr<core::TempDir> dir_;
  platform::Cluster cluster_;
};

TEST_P(ArchiveConformanceTest, TheFeedDecidesWhichCommandFeedsTheArchive) {
  EXPECT_EQ(archive_->feed(), GetParam().feed);
  auto repo = EmptyRepository();
  platform::PlatformOptions options;
  options.inventory_path = dir_->path() + "/inventory.yaml";  // never written: nothing is read
  auto local = platform::OpenPlatform(options);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  // Neither call reaches an instance: a pulled archive only builds its archiver (nothing is read
  // before its first cycle), and each kind refuses the other kind's command first.
  auto puller = archive_->OpenPuller(*repo, **local, cluster_);
  auto enabled = archive_->EnableServerArchiving(**local, cluster_, engine::ArchiveCommands{});
  if (GetParam().feed == ArchiveFeed::kArchiverPulls) {
    EXPECT_TRUE(puller.ok()) << puller.status().ToString();
    EXPECT_EQ(enabled.code(), core::ErrorCode::kUsage) << enabled.ToString();
    EXPECT_NE(enabled.hint().find("archive binlog"), std::string::npos) << enabled.ToString();
  } else {
    EXPECT_EQ(puller.status().code(), core::ErrorCode::kUsage) << puller.status().ToString();
    EXPECT_NE(puller.status().message().find("archive enable"), std::string::npos)
        << puller.status().ToString();
  }
}

TEST_P(ArchiveConformanceTest, OnePointFlagOfItsOwnKindIsParsed) {
  auto time = Parse("2026-11-22T16:40:01.5Z", "", "");
  ASSERT_TRUE(time.ok()) << time.status().ToString();
  EXPECT_EQ(time->kind, RestorePointKind::kTime);
  EXPECT_EQ(time->time.unix_seconds, 1795365601);
  auto position = Parse("", GetParam().own_flag, GetParam().position);
  ASSERT_TRUE(position.ok()) << position.status().ToString();
  EXPECT_EQ(position->kind, RestorePointKind::kPosition);
  EXPECT_EQ(position->position, GetParam().position);
}

TEST_P(ArchiveConformanceTest, AnythingElseIsAUsageErrorNamingTheFlags) {
  auto other = Parse("", GetParam().other_flag, "1");
  EXPECT_EQ(other.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(other.status().hint().find(GetParam().own_flag), std::string::npos)
      << other.status().ToString();
  auto both = Parse("2026-11-22T16:40:01Z", GetParam().own_flag, GetParam().position);
  EXPECT_EQ(both.status().code(), core::ErrorCode::kUsage);
  EXPECT_NE(both.status().message().find("both"), std::string::npos) << both.status().ToString();
  auto zone_less = Parse("2026-11-22 16:40:01", "", "");
  EXPECT_EQ(zone_less.status().code(), core::ErrorCode::kUsage);
  EXPECT_EQ(Parse("", "", "").status().code(), core::ErrorCode::kUsage);
}

TEST_P(ArchiveConformanceTest, StatusOfAnEmptyRepositoryNamesNoBase) {
  auto repo = EmptyRepository();
  auto status = archive_->Status(*repo, cluster_);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->json["cluster"], "conformance/shop");
  EXPECT_TRUE(status->json["bases"].empty()) << status->json.dump();
  EXPECT_NE(status->text.find("no native base backups"), std::string::npos) << status->text;
}

TEST_P(ArchiveConformanceTest, WithoutAKeptBaseRetentionKeepsEveryPiece) {
  repo::SnapshotMeta piece{
      "aaaaaaaa1", "2026-01-01T00:00:00Z", "h", {"/conformance/shop/wal"}, {"type=wal"}};
  auto decisions = archive_->DecideRetention({}, {&piece, &piece});
  ASSERT_EQ(decisions.size(), 2U);
  for (const auto& decision : decisions) {
    EXPECT_TRUE(decision.keep) << decision.reason;
  }
}

// The server's fetch command is built only by a restore whose server runs on this machine (the WAL
// supply asks for it there; a pod's replay copies the WAL streamed into it): the check never
// builds it, and refuses a request without one where the server fetches.
TEST_P(ArchiveConformanceTest, ARequestIsCheckedWithoutBuildingTheServersFetchCommand) {
  PointRestoreRequest request;
  int built = 0;
  request.server_restore_command = [&built]() -> core::Result<std::string> {
    ++built;
    return core::Usage("no password file", "pass --password-file");
  };
  EXPECT_TRUE(archive_->CheckRequest(request).ok());
  EXPECT_EQ(built, 0);
  core::Status without = archive_->CheckRequest(PointRestoreRequest{});
  if (GetParam().feed == ArchiveFeed::kServerPushes) {
    EXPECT_FALSE(without.ok());
  } else {
    // The replay reads the repository itself: the server's command is never asked for.
    EXPECT_TRUE(without.ok()) << without.ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ArchiveConformanceTest,
    ::testing::Values(KindCase{platform::EngineKind::kPostgres, ArchiveFeed::kServerPushes,
                               "--until-lsn", "--until-gtid", "0/3000A38"},
                      KindCase{platform::EngineKind::kMariadb, ArchiveFeed::kArchiverPulls,
                               "--until-gtid", "--until-lsn", "0-1-42"},
                      KindCase{platform::EngineKind::kGalera, ArchiveFeed::kArchiverPulls,
                               "--until-gtid", "--until-lsn", "0-1-42,1-2-7"}),
    [](const auto& kind) { return std::string(platform::EngineKindName(kind.param.engine)); });

}  // namespace
}  // namespace hasteward::pitr
