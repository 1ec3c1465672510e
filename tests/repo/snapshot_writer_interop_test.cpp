// Stock restic 0.14 is the referee for tree snapshots (native backups, WAL batches): it must
// check, list and restore byte-identically what SnapshotWriter writes, fixed-size blobs included,
// and our tree restore must reproduce the same tree.
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/restore/tree_restorer.h"
#include "storage/local/local_backend.h"
#include "storage/restic_cli.h"

namespace hasteward::repo {
namespace {

namespace fs = std::filesystem;
using storage::testing::RunRestic;

constexpr int64_t kTime = 1700000000;

std::string RandomText(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string text(n, '\0');
  for (auto& c : text)
    c = static_cast<char>(rng());
  return text;
}

struct TreeFile {
  std::string path;
  std::string content;
  uint32_t permissions;
  Chunking chunking;
};

std::vector<TreeFile> SampleTree() {
  return {
      {"pgdata/PG_VERSION", "15\n", 0600, Chunking::ContentDefined()},
      {"pgdata/base/5/16384", RandomText(64 * 8192 + 333, 1), 0600, Chunking::FixedSize(8192)},
      {"pgdata/base/5/16384_fsm", RandomText(3 * 8192, 2), 0600, Chunking::FixedSize(4 * 8192)},
      {"pgdata/global/pg_control", RandomText(8192, 3), 0600, Chunking::ContentDefined()},
      {"pgdata/backup_manifest", RandomText(5 << 20, 4), 0640, Chunking::ContentDefined()},
      {"pgdata/pg_wal/000000010000000000000001", RandomText(1 << 20, 5), 0600,
       Chunking::ContentDefined()},
      {"pgdata/empty_file", "", 0644, Chunking::ContentDefined()},
  };
}

// Every regular file and symlink under `root` with its content (or "-> target") and mode.
std::map<std::string, std::string> Describe(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    std::string rel = fs::relative(entry.path(), root).string();
    struct stat st {};
    EXPECT_EQ(::lstat(entry.path().c_str(), &st), 0);
    std::string mode = std::to_string(st.st_mode & 07777);
    if (entry.is_symlink()) {
      out[rel] = "-> " + fs::read_symlink(entry.path()).string();
    } else if (entry.is_regular_file()) {
      out[rel] = mode + " " + std::to_string(st.st_mtime) + " " +
                 core::ReadFileToString(entry.path()).value();
    } else {
      out[rel] = mode + " dir " + std::to_string(st.st_mtime);
    }
  }
  return out;
}

TEST(SnapshotWriterInteropTest, ResticChecksListsAndRestoresATreeByteIdentically) {
  auto tmp = core::TempDir::Create("hs-tree-interop-");
  ASSERT_TRUE(tmp.ok());
  std::string repo_dir = tmp->path() + "/repo";
  std::map<std::string, std::string> env = {{"TZ", "UTC"}};
  InitOptions init;
  init.kdf = KdfParams{1024, 8, 1};
  auto repo = Repository::Init(std::make_unique<storage::LocalBackend>(repo_dir),
                               "conformance-password", init);
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();

  auto writer = SnapshotWriter::Open(**repo, SnapshotWriterOptions{});
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  NodeAttributes dir_attributes;
  dir_attributes.permissions = 0700;
  dir_attributes.mtime = GoTime{kTime, 0, 0};
  ASSERT_TRUE((*writer)->AddDirectory("pgdata", dir_attributes).ok());
  for (const auto& file : SampleTree()) {
    NodeAttributes attributes;
    attributes.permissions = file.permissions;
    attributes.mtime = GoTime{kTime + 60, 500000000, 0};
    core::MemorySource source(core::Bytes(file.content.begin(), file.content.end()));
    auto added = (*writer)->AddFile(file.path, source, attributes, file.chunking);
    ASSERT_TRUE(added.ok()) << file.path << ": " << added.status().ToString();
  }
  ASSERT_TRUE((*writer)->AddSymlink("pgdata/pg_tblspc/16400", "/srv/tablespace").ok());
  CommitOptions commit;
  commit.tags = {"method=native"};
  commit.time = GoTime{kTime + 120, 0, 0};
  auto summary = (*writer)->Commit(commit);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  std::string snap_id = IdToHex(summary->snapshot_id);

  auto check = RunRestic(repo_dir, {"check", "--read-data"}, env);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  auto listing = RunRestic(repo_dir, {"ls", "--json", snap_id}, env);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_NE(listing->find("\"path\":\"/pgdata/base/5/16384\""), std::string::npos) << *listing;
  EXPECT_NE(listing->find("\"path\":\"/pgdata/pg_tblspc/16400\""), std::string::npos);

  std::string by_restic = tmp->path() + "/by-restic";
  auto restored = RunRestic(repo_dir, {"restore", snap_id, "--target", by_restic}, env);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  for (const auto& file : SampleTree()) {
    auto content = core::ReadFileToString(by_restic + "/" + file.path);
    ASSERT_TRUE(content.ok()) << file.path;
    EXPECT_TRUE(*content == file.content) << file.path << " differs after restic restore";
  }

  std::string by_us = tmp->path() + "/by-hasteward";
  ASSERT_TRUE((*repo)->LoadIndex().ok());
  auto snap = (*repo)->LoadSnapshot(summary->snapshot_id);
  ASSERT_TRUE(snap.ok());
  auto ours = RestoreTree(**repo, *snap, "", by_us, TreeRestoreOptions{});
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  auto expected = Describe(by_restic);
  EXPECT_EQ(expected.size(), 14U) << "7 files, 1 symlink, 6 directories below the target";
  EXPECT_EQ(Describe(by_us), expected);
}

}  // namespace
}  // namespace hasteward::repo
