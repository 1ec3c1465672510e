// `restore --instant` end to end on a real PostgreSQL 15 sandbox with real FUSE and overlayfs:
// the instance starts on an overlay of the mounted native snapshot, every table's checksum
// equals the source's and a write commits while it still runs on the mount (triage says so);
// after hydration the checksums are equal again, the instance runs on a plain local data
// directory and no FUSE mount is left; hasteward killed (SIGKILL) during hydration leaves an
// instance that the rerun of the same command finishes, with the write made before the kill (also
// when killed right after the start, before hydration); a failed hydration leaves the running
// instance on its overlay; the discard gate's consent keeps a newer replica's data at its
// re-clone after hydration; the discard gate refuses to replace newer data, leaving it untouched
// and nothing mounted; `verify
// --instant` checks the snapshot on an overlay and leaves no mount; a damaged pack reaches the
// database as an I/O error, never as zeros.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <sys/mount.h>

#include "support/cluster_env.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/held_command.h"
#include "support/mount_process.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {
namespace {

namespace fs = std::filesystem;

// Per-table checksums: md5 over the ordered rows of every user table.
constexpr char kChecksumsSql[] =
    "SELECT (SELECT md5(string_agg(a::text, ',' ORDER BY id)) FROM accounts a) || ' ' || "
    "(SELECT md5(string_agg(e::text, ',' ORDER BY id)) FROM events e)";

// A row whose COMMIT returned only once its WAL was written. The sandbox commits asynchronously
// (synchronous_commit = off), and a rerun after a kill stops an instance whose snapshot mount died
// with the killed run: its shutdown checkpoint fails, so WAL still in memory is lost, as it may
// be on any crash. Stop 59's CI lost such a row on a two-CPU machine.
std::string AcknowledgedInsert(const std::string& key) {
  return "SET synchronous_commit = on; INSERT INTO events (body) VALUES ('{\"" + key +
         "\": true}')";
}

// Whether the snapshot of an instant restore of `data_dir` is mounted (its layers' directory).
bool InstantMountOf(const std::string& data_dir) {
  return HastewardFuseMountUnder(data_dir + ".hasteward-instant");
}

class InstantRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string reason = FuseUnavailableReason(); !reason.empty())
      GTEST_SKIP() << "FUSE is not usable here: " << reason;
    auto c = SandboxCluster::Create(
        {.engine = platform::EngineKind::kPostgres, .instances = 1, .name = "shop", .ns = "it"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    pg_ = std::move(*c);
    shop_ = std::make_unique<ClusterEnv>(ClusterEnv::On(hs_, *pg_, "cnpg"));
    ASSERT_EQ(shop_->Hs({"repo", "init"}).exit_code, 0);
    shop_->Sql(
        "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint, note text);"
        "INSERT INTO accounts SELECT g, g * 7, md5(g::text) FROM generate_series(1, 200000) g;"
        "CREATE TABLE events (id bigserial PRIMARY KEY, body jsonb);"
        "INSERT INTO events (body) SELECT jsonb_build_object('n', g) FROM generate_series(1, "
        "5000) g;");
    source_ = shop_->Sql(kChecksumsSql);
    auto backup = shop_->Hs({"backup", "--method", "native"});
    ASSERT_EQ(backup.exit_code, 0) << backup.err;
    ASSERT_EQ(shop_->Hs({"instance", "stop", "-i", "0"}).exit_code, 0);
    data_dir_ = pg_->instance(0).data_dir;
  }

  void TearDown() override {
    // A failed test may leave the overlay mounted: stop the server first, then detach it.
    if (pg_)
      (void)pg_->Down();
    for (const char* layer : {"/merged", "/lower"}) {
      std::string path = data_dir_ + ".hasteward-instant" + layer;
      while (!data_dir_.empty() && IsMountpoint(path) && ::umount2(path.c_str(), MNT_DETACH) == 0) {
      }
    }
  }

  // Whether the data directory is the instant restore's overlay (a symlink to its mountpoint).
  bool OnOverlay() const {
    return fs::is_symlink(data_dir_) && IsMountpoint(fs::canonical(data_dir_).string());
  }

  // The data directory lost (what an instant restore is for): moved aside.
  void LoseDataDirectory() { fs::rename(data_dir_, data_dir_ + ".lost"); }

  // `restore --instant --yes` started in the background and held once the instance is writable,
  // before hydration; released by ReleaseHydration().
  std::unique_ptr<HeldCommand> StartHeldAtHydration() {
    auto run = shop_->Start({"restore", "--instant", "--yes"}, "instant-restore-hydrating:hold",
                            hs_.Path("instant.err"), {{"HASTEWARD_FAILPOINT_RELEASE", release_}});
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    if (!run.ok())
      return nullptr;
    EXPECT_TRUE((*run)->WaitUntilHeld()) << (*run)->err();
    return std::move(*run);
  }
  void ReleaseHydration() { WriteFile(release_, "go"); }

  HastewardEnv hs_{"hs-instant-", "instant-test"};
  std::unique_ptr<SandboxCluster> pg_;
  std::unique_ptr<ClusterEnv> shop_;
  std::string source_;
  std::string data_dir_;
  std::string release_ = hs_.Path("release");
};

TEST_F(InstantRestoreTest, ServesTheSnapshotWritableThenHydratesToLocalDisk) {
  LoseDataDirectory();
  auto run = StartHeldAtHydration();
  ASSERT_NE(run, nullptr);
  EXPECT_TRUE(OnOverlay()) << "the data directory is not the overlay";
  EXPECT_TRUE(InstantMountOf(data_dir_));
  EXPECT_EQ(shop_->Sql(kChecksumsSql), source_);
  auto triage = shop_->Hs({"triage", "--json"});
  EXPECT_NE(triage.out.find("\"instant_restore\":\"hydrating\""), std::string::npos) << triage.out;
  shop_->Sql("INSERT INTO events (body) VALUES ('{\"instant\": true}')");
  std::string written = shop_->Sql(kChecksumsSql);
  ASSERT_NE(written, source_);

  ReleaseHydration();
  auto exited = run->WaitForExit(std::chrono::seconds(120));
  ASSERT_TRUE(exited.has_value());
  ASSERT_EQ(exited->exit_code, 0) << run->err();
  EXPECT_FALSE(fs::is_symlink(data_dir_));
  EXPECT_TRUE(fs::is_directory(data_dir_));
  EXPECT_FALSE(InstantMountOf(data_dir_));
  EXPECT_FALSE(fs::exists(data_dir_ + ".hasteward-instant"));
  EXPECT_EQ(shop_->Sql(kChecksumsSql), written);
  EXPECT_EQ(shop_->Sql("SELECT pg_is_in_recovery()"), "f");
}

TEST_F(InstantRestoreTest, KilledDuringHydrationTheRerunFinishesKeepingTheWrites) {
  LoseDataDirectory();
  auto run = StartHeldAtHydration();
  ASSERT_NE(run, nullptr);
  shop_->Sql(AcknowledgedInsert("before_kill"));
  std::string written = shop_->Sql(kChecksumsSql);
  ASSERT_EQ(::kill(run->pid(), SIGKILL), 0);
  ASSERT_TRUE(run->WaitForExit(std::chrono::seconds(30)).has_value());

  auto rerun = shop_->Hs({"restore", "--instant", "--yes"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_NE(rerun.err.find("finishing the instant restore"), std::string::npos) << rerun.err;
  EXPECT_FALSE(fs::is_symlink(data_dir_));
  EXPECT_FALSE(InstantMountOf(data_dir_));
  EXPECT_EQ(shop_->Sql(kChecksumsSql), written);
}

TEST_F(InstantRestoreTest, NewerDataIsRefusedAndNothingStaysMounted) {
  // Started after the backup and written to: the stopped data directory is newer than it.
  ASSERT_EQ(shop_->Hs({"instance", "start", "-i", "0"}).exit_code, 0);
  shop_->Sql("INSERT INTO events (body) VALUES ('{\"newer\": true}')");
  std::string newer = shop_->Sql(kChecksumsSql);
  ASSERT_EQ(shop_->Hs({"instance", "stop", "-i", "0"}).exit_code, 0);
  auto refused = shop_->Hs({"restore", "--instant", "--yes"});
  EXPECT_EQ(refused.exit_code, 30) << refused.err;
  EXPECT_FALSE(fs::is_symlink(data_dir_));
  EXPECT_FALSE(InstantMountOf(data_dir_));
  EXPECT_FALSE(fs::exists(data_dir_ + ".hasteward-instant"));
  ASSERT_EQ(shop_->Hs({"instance", "start", "-i", "0"}).exit_code, 0);
  EXPECT_EQ(shop_->Sql(kChecksumsSql), newer);
}

TEST_F(InstantRestoreTest, VerifyInstantChecksTheSnapshotOnAnOverlayAndLeavesNoMount) {
  // A short state dir: the scratch server's unix socket path must stay under 107 bytes.
  auto verified = hs_.Run(
      {"verify", "-e", "cnpg", "-c", "shop", "-n", "it", "--instant", "--json"}, "",
      {{"HASTEWARD_INVENTORY", pg_->inventory_path()}, {"HASTEWARD_STATE_DIR", hs_.Path("vs")}});
  ASSERT_EQ(verified.exit_code, 0) << verified.err << verified.out;
  EXPECT_NE(verified.out.find("checks ran on an overlay of the mounted snapshot"),
            std::string::npos)
      << verified.out;
  EXPECT_NE(verified.out.find("\"rows\":200000,\"table\":\"public.accounts\""), std::string::npos)
      << verified.out;
  EXPECT_FALSE(HastewardFuseMountUnder(hs_.Path("vs")));
}

TEST_F(InstantRestoreTest, ADamagedPackReachesTheDatabaseAsAnIoErrorNeverAsZeros) {
  LoseDataDirectory();
  // The largest pack holds table pages: damage its middle.
  std::string largest;
  for (const auto& e : fs::recursive_directory_iterator(hs_.repository() + "/data")) {
    if (e.is_regular_file() && (largest.empty() || e.file_size() > fs::file_size(largest)))
      largest = e.path().string();
  }
  ASSERT_FALSE(largest.empty());
  {
    std::fstream pack(largest, std::ios::in | std::ios::out | std::ios::binary);
    pack.seekp(static_cast<std::streamoff>(fs::file_size(largest) / 2));
    pack.write(std::string(64, '\0').data(), 64);
  }
  auto run = StartHeldAtHydration();
  ASSERT_NE(run, nullptr);
  auto read = pg_->Sql(0, kChecksumsSql);
  ASSERT_FALSE(read.ok()) << "a damaged snapshot read as " << *read;
  EXPECT_NE(read.status().ToString().find("Input/output error"), std::string::npos)
      << read.status().ToString();
  // The copy to local disk meets the same damage: the command fails and says to rerun it.
  ReleaseHydration();
  auto exited = run->WaitForExit(std::chrono::seconds(120));
  ASSERT_TRUE(exited.has_value());
  EXPECT_NE(exited->exit_code, 0) << run->err();
  // The failed hydration left the running instance on its overlay (unmounted, its data directory
  // would be the empty mountpoint) and removed its half-written copy.
  EXPECT_TRUE(OnOverlay()) << run->err();
  EXPECT_FALSE(fs::exists(data_dir_ + ".hasteward-instant/copy"));
}

TEST_F(InstantRestoreTest, KilledRightAfterTheStartTheRerunKeepsWhatTheInstanceCommitted) {
  LoseDataDirectory();
  // Held where the engine's start returned (the instance accepts writes), before the native
  // restore's end and before hydration.
  auto run = shop_->Start({"restore", "--instant", "--yes"}, "native-restore-started:hold",
                          hs_.Path("instant.err"), {{"HASTEWARD_FAILPOINT_RELEASE", release_}});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_TRUE((*run)->WaitUntilHeld()) << (*run)->err();
  shop_->Sql(AcknowledgedInsert("right_after_start"));
  std::string written = shop_->Sql(kChecksumsSql);
  ASSERT_NE(written, source_);
  ASSERT_EQ(::kill((*run)->pid(), SIGKILL), 0);
  ASSERT_TRUE((*run)->WaitForExit(std::chrono::seconds(30)).has_value());

  auto rerun = shop_->Hs({"restore", "--instant", "--yes"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_NE(rerun.err.find("finishing the instant restore"), std::string::npos) << rerun.err;
  EXPECT_FALSE(fs::is_symlink(data_dir_));
  EXPECT_FALSE(fs::exists(data_dir_ + ".hasteward-restoring"));
  EXPECT_EQ(shop_->Sql(kChecksumsSql), written);
}

// Two instances: the stopped replica holds a commit newer than the snapshot. --confirm-rewind
// consents to replacing it, and the re-clone after hydration keeps its data directory, as the
// gate promised.
TEST(InstantRestoreReplicaTest, ConfirmRewindKeepsTheNewerReplicasDataAtTheRecloneAfterHydration) {
  if (std::string reason = FuseUnavailableReason(); !reason.empty())
    GTEST_SKIP() << "FUSE is not usable here: " << reason;
  HastewardEnv hs("hs-instant-r-", "instant-r-test");
  auto c = SandboxCluster::Create(
      {.engine = platform::EngineKind::kPostgres, .instances = 2, .name = "shop", .ns = "ir"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ClusterEnv shop = ClusterEnv::On(hs, **c, "cnpg");
  ASSERT_EQ(shop.Hs({"repo", "init"}).exit_code, 0);
  shop.Sql("CREATE TABLE events (id int PRIMARY KEY)");
  auto backup = shop.Hs({"backup", "--method", "native"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  shop.Sql("INSERT INTO events VALUES (1)");
  bool replicated = false;
  for (int i = 0; i < 300 && !replicated; ++i) {
    auto count = (*c)->Sql(1, "SELECT count(*) FROM events");
    replicated = count.ok() && count->rfind('1', 0) == 0;
    if (!replicated)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(replicated) << "the replica did not receive the commit";
  ASSERT_EQ(shop.Hs({"instance", "stop", "-i", "1"}).exit_code, 0);
  ASSERT_EQ(shop.Hs({"instance", "stop", "-i", "0"}).exit_code, 0);

  auto restored = shop.Hs({"restore", "--instant", "--yes", "--confirm-rewind"});
  EXPECT_EQ(restored.exit_code, 0) << restored.err;
  // Both data directories held the commit: the restored instance's is kept by its swap, the
  // re-cloned one's only by the gate's consent reaching the re-clone.
  for (int ordinal : {0, 1}) {
    const fs::path data_dir = (*c)->instance(ordinal).data_dir;
    bool kept = false;
    for (const auto& entry : fs::directory_iterator(data_dir.parent_path())) {
      kept = kept || entry.path().filename().string().rfind(
                         data_dir.filename().string() + ".hasteward-replaced-", 0) == 0;
    }
    EXPECT_TRUE(kept) << "the newer data directory of instance " << ordinal << " was not kept:\n"
                      << restored.err;
  }
  (void)(*c)->Down();
  for (int ordinal : {0, 1}) {
    std::string merged = (*c)->instance(ordinal).data_dir + ".hasteward-instant/merged";
    while (IsMountpoint(merged) && ::umount2(merged.c_str(), MNT_DETACH) == 0) {
    }
  }
}

// MariaDB: --prepare runs on the overlay (its writes land in the upper layer), the server starts
// on it; the tables' checksums equal the source's before and after hydration, with a write made
// on the instant instance.
TEST(InstantRestoreMariadbTest, ServesThePreparedSnapshotThenHydrates) {
  if (std::string reason = FuseUnavailableReason(); !reason.empty())
    GTEST_SKIP() << "FUSE is not usable here: " << reason;
  HastewardEnv hs("hs-instant-m-", "instant-m-test");
  auto c = SandboxCluster::Create(
      {.engine = platform::EngineKind::kMariadb, .instances = 1, .name = "shop", .ns = "im"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ClusterEnv shop = ClusterEnv::On(hs, **c, "mariadb");
  ASSERT_EQ(shop.Hs({"repo", "init"}).exit_code, 0);
  shop.Sql(
      "CREATE DATABASE shop; USE shop; CREATE TABLE shop.accounts (id int PRIMARY KEY, note text); "
      "INSERT INTO shop.accounts SELECT seq, md5(seq) FROM seq_1_to_50000;");
  const std::string checksums = "CHECKSUM TABLE shop.accounts EXTENDED";
  std::string source = shop.Sql(checksums);
  ASSERT_EQ(shop.Hs({"backup", "--method", "native"}).exit_code, 0);
  ASSERT_EQ(shop.Hs({"instance", "stop", "-i", "0"}).exit_code, 0);
  std::string data_dir = (*c)->instance(0).data_dir;
  fs::rename(data_dir, data_dir + ".lost");

  std::string release = hs.Path("release");
  auto run = shop.Start({"restore", "--instant", "--yes"}, "instant-restore-hydrating:hold",
                        hs.Path("instant.err"), {{"HASTEWARD_FAILPOINT_RELEASE", release}});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_TRUE((*run)->WaitUntilHeld()) << (*run)->err();
  EXPECT_TRUE(fs::is_symlink(data_dir));
  EXPECT_EQ(shop.Sql(checksums), source);
  shop.Sql("INSERT INTO shop.accounts VALUES (900001, 'instant')");
  std::string written = shop.Sql(checksums);
  WriteFile(release, "go");
  auto exited = (*run)->WaitForExit(std::chrono::seconds(120));
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(exited->exit_code, 0) << (*run)->err();
  EXPECT_FALSE(fs::is_symlink(data_dir));
  EXPECT_FALSE(InstantMountOf(data_dir));
  EXPECT_EQ(shop.Sql(checksums), written);
  (void)(*c)->Down();
  std::string merged = data_dir + ".hasteward-instant/merged";
  while (IsMountpoint(merged) && ::umount2(merged.c_str(), MNT_DETACH) == 0) {
  }
}

}  // namespace
}  // namespace hasteward::testing
