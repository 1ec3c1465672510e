// The fixture of the PostgreSQL archiving tests: a real local repository (fast KDF), the
// PostgreSQL engine's archiving, and a directory laid out like a server's pg_wal (segments and
// archive_status/*.ready) that wal-push, wal-fetch, the agent and the restore plan work on.
//
//   class WalArchiveTest : public WalDirTest {
//    protected:
//     void SetUp() override { SetUpWalDir("hs-wal-test-", "wal"); }
//   };
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "engine/archiving.h"
#include "engine/engine.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward::pitr {

class WalDirTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kSegmentBytes = uint64_t{16} * 1024 * 1024;

  // The temp dir (`temp_prefix`), the repository at repo/ with password "pw", and cluster "shop"
  // in namespace `ns`.
  void SetUpWalDir(const std::string& temp_prefix, const std::string& ns) {
    auto dir = core::TempDir::Create(temp_prefix);
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::make_unique<core::TempDir>(std::move(dir).value());
    repo::InitOptions options;
    options.kdf = repo::KdfParams{1024, 8, 1};  // fast for tests
    auto backend = storage::OpenBackend(RepoPath());
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    auto repo = repo::Repository::Init(std::move(*backend), "pw", options);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    repo_ = std::move(*repo);
    auto made = engine::MakeEngine(platform::EngineKind::kPostgres);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    engine_ = std::move(*made);
    archiving_ = engine_->archiving();
    ASSERT_NE(archiving_, nullptr);
    cluster_.name = "shop";
    cluster_.ns = ns;
    std::filesystem::create_directories(WalDir() + "/archive_status");
  }

  std::string RepoPath() const { return dir_->path() + "/repo"; }
  std::string WalDir() const { return dir_->path() + "/pg_wal"; }

  // Writes `name` with `content` into pg_wal, queued (.ready, empty as the server's) when
  // `ready`. Returns its path.
  std::string WriteWalFile(const std::string& name, const std::string& content, bool ready) {
    std::string path = WalDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    if (ready) {
      std::ofstream(WalDir() + "/archive_status/" + name + ".ready");
    }
    return path;
  }
  // A whole segment filled with `seed` that starts with its own name.
  std::string WriteSegment(const std::string& name, char seed, bool ready) {
    std::string content(kSegmentBytes, seed);
    content.replace(0, name.size(), name);
    return WriteWalFile(name, content, ready);
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<repo::Repository> repo_;
  std::unique_ptr<engine::Engine> engine_;
  engine::Archiving* archiving_ = nullptr;
  platform::Cluster cluster_;
};

}  // namespace hasteward::pitr
