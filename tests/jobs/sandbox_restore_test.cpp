// jobs::RestoreIntoSandbox's refusals, which happen before any server starts: a snapshot that does
// not exist makes nothing (no state dir, no inventory entry), and a sandbox name the inventory
// already holds is refused with kAlreadyExists and that cluster is left exactly as it was (the
// cleanup of a failed restore must never take down a cluster it did not make). The restores
// themselves run on real servers in tests/integration/restore_sandbox_test.cpp.
#include "jobs/sandbox_restore.h"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/byte_stream.h"
#include "core/fd.h"
#include "core/temp_dir.h"
#include "storage/local/local_backend.h"

namespace hasteward::jobs {
namespace {

constexpr char kPassword[] = "sandbox-restore-test";
constexpr char kExisting[] =
    "clusters:\n"
    "  - name: shop-restore\n"
    "    namespace: rs\n"
    "    engine: cnpg\n"
    "    instances:\n"
    "      - name: shop-restore-0\n"
    "        port: 1\n";

class SandboxRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-sbrestore-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
    repo::InitOptions init;
    init.kdf = repo::KdfParams{1024, 8, 1};  // fast for tests
    auto repository = repo::Repository::Init(
        std::make_unique<storage::LocalBackend>(dir_->path() + "/repo"), kPassword, init);
    ASSERT_TRUE(repository.ok()) << repository.status().ToString();
    repo_ = std::move(*repository);
    source_.name = "shop";
    source_.ns = "rs";
    source_.engine = platform::EngineKind::kPostgres;
    options_.sandbox.name = "shop-restore";
    options_.sandbox.ns = "rs";
    options_.sandbox.state_dir = dir_->path() + "/state";
    options_.sandbox.inventory_path = dir_->path() + "/inventory.yaml";
  }

  // A dump snapshot of the source, as `backup` tags it.
  void StoreDump() {
    std::string dump = "-- PostgreSQL database cluster dump complete\n";
    core::MemorySource src(core::Bytes(dump.begin(), dump.end()));
    repo::BackupOptions bo;
    bo.filename = "rs/shop/pg_dumpall.sql";
    bo.tags = SnapshotTags(source_, repo::SnapshotType::kBackup, "");
    ASSERT_TRUE(repo::BackupStream(*repo_, src, bo).ok());
  }

  bool Exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<repo::Repository> repo_;
  platform::Cluster source_;
  SandboxRestoreOptions options_;
};

TEST_F(SandboxRestoreTest, ASnapshotThatDoesNotExistMakesNothing) {
  StoreDump();
  options_.restore.snapshot = "deadbeef";
  options_.restore.type = std::nullopt;
  auto r = RestoreIntoSandbox(source_, *repo_, options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::ErrorCode::kNotFound);
  EXPECT_FALSE(Exists(options_.sandbox.state_dir));
  EXPECT_FALSE(Exists(options_.sandbox.inventory_path));
}

TEST_F(SandboxRestoreTest, AnExistingNameIsRefusedAndThatClusterIsKept) {
  StoreDump();
  std::ofstream(options_.sandbox.inventory_path) << kExisting;
  auto before = core::ReadFileToString(options_.sandbox.inventory_path);
  ASSERT_TRUE(before.ok());
  auto r = RestoreIntoSandbox(source_, *repo_, options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::ErrorCode::kAlreadyExists);
  auto after = core::ReadFileToString(options_.sandbox.inventory_path);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *before);
  EXPECT_FALSE(Exists(options_.sandbox.state_dir + "/rs/shop-restore"));
}

}  // namespace
}  // namespace hasteward::jobs
