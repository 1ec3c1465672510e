#include "repo/backup/snapshot_writer.h"

#include <cstdio>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "repo/check/checker.h"
#include "repo/lock/repo_lock.h"
#include "repo/restore/file_dumper.h"
#include "repo/restore/tree_restorer.h"
#include "storage/local/local_backend.h"

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace snapshot_writer_test {
namespace {

namespace fs = std::filesystem;

core::Bytes RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  core::Bytes bytes(n);
  for (auto& byte : bytes)
    byte = static_cast<uint8_t>(rng());
  return bytes;
}

GoTime At(int64_t unix_seconds) {
  return GoTime{unix_seconds, 0, 0};
}

class SnapshotWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(
        std::move(core::TempDir::Create("hs-snapshot-writer-test-").value()));
    InitOptions opts;
    opts.kdf = KdfParams{1024, 8, 1};  // fast for tests; real repositories use restic's cost
    opts.polynomial = 0x3da3358b4dc173;
    auto r = Repository::Init(std::make_unique<storage::LocalBackend>(dir_->path() + "/repo"), "pw",
                              opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repo_ = std::move(*r);
  }

  std::unique_ptr<SnapshotWriter> OpenWriter() {
    SnapshotWriterOptions options;
    options.threads = 3;
    auto writer = SnapshotWriter::Open(*repo_, options);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    return std::move(*writer);
  }

  core::Status AddBytes(SnapshotWriter& writer, const std::string& path, const core::Bytes& data,
                        const NodeAttributes& attributes = {}, const Chunking& chunking = {}) {
    core::MemorySource source(data);
    return writer.AddFile(path, source, attributes, chunking).status();
  }

  void ExpectCheckPasses() {
    auto report = CheckRepository(*repo_, CheckOptions{true, 2});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << report->errors.front();
  }

  std::string Target(const std::string& name) { return dir_->path() + "/" + name; }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<Repository> repo_;
};

std::string ReadAll(const std::string& path) {
  auto text = core::ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

struct stat Lstat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

// A data-directory-like tree: nested directories with their own modes and times, a content-
// defined file, a fixed-size (8 KiB pages) file, an empty file and a symlink; restored by the
// tree walker byte for byte with modes and mtimes, and one file exported by path.
TEST_F(SnapshotWriterTest, TreeRoundTripsThroughRestoreAndExport) {
  core::Bytes dump = RandomBytes(3 << 20, 1);
  core::Bytes relation = RandomBytes(10 * 8192 + 100, 2);
  auto writer = OpenWriter();
  NodeAttributes dir_attributes;
  dir_attributes.permissions = 0700;
  dir_attributes.mtime = At(1700000000);
  ASSERT_TRUE(writer->AddDirectory("pgdata", dir_attributes).ok());
  NodeAttributes file_attributes;
  file_attributes.permissions = 0600;
  file_attributes.mtime = At(1700000100);
  ASSERT_TRUE(
      AddBytes(*writer, "pgdata/base/1/1259", relation, file_attributes, Chunking::FixedSize(8192))
          .ok());
  ASSERT_TRUE(AddBytes(*writer, "pgdata/dump.sql", dump, file_attributes).ok());
  ASSERT_TRUE(AddBytes(*writer, "pgdata/empty", {}).ok());
  ASSERT_TRUE(writer->AddSymlink("pgdata/pg_wal", "../wal").ok());
  CommitOptions commit;
  commit.tags = {"method=native,engine=cnpg"};
  commit.time = At(1700000200);
  auto summary = writer->Commit(commit);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->files, 3U);
  EXPECT_EQ(summary->bytes_read, dump.size() + relation.size());
  auto snap = repo_->LoadSnapshot(summary->snapshot_id);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->paths, std::vector<std::string>{"/pgdata"});
  EXPECT_EQ(snap->tags, (std::vector<std::string>{"method=native", "engine=cnpg"}));
  ExpectCheckPasses();

  ASSERT_TRUE(repo_->LoadIndex().ok());
  auto restored = RestoreTree(*repo_, *snap, "", Target("restore"), TreeRestoreOptions{});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->files, 3U);
  EXPECT_EQ(restored->symlinks, 1U);
  std::string root = Target("restore") + "/pgdata";
  EXPECT_EQ(ReadAll(root + "/base/1/1259"), core::AsString(relation));
  EXPECT_EQ(ReadAll(root + "/dump.sql"), core::AsString(dump));
  EXPECT_EQ(ReadAll(root + "/empty"), "");
  EXPECT_EQ(fs::read_symlink(root + "/pg_wal").string(), "../wal");
  EXPECT_EQ(Lstat(root).st_mode & 07777, 0700U);
  EXPECT_EQ(Lstat(root).st_mtime, 1700000000);
  EXPECT_EQ(Lstat(root + "/dump.sql").st_mode & 07777, 0600U);
  EXPECT_EQ(Lstat(root + "/dump.sql").st_mtime, 1700000100);
  EXPECT_EQ(Lstat(root + "/base").st_mode & 07777, 0755U) << "implicit parent: default mode";
  EXPECT_EQ(Lstat(root + "/base").st_mtime, 1700000200) << "implicit parent: snapshot time";

  auto node = FindFileNode(*repo_, *snap, "pgdata/base/1/1259");
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->content.size(), 11U) << "ten 8 KiB pages and a 100-byte tail";
  core::MemorySink sink;
  ASSERT_TRUE(DumpFile(*repo_, *node, sink, DumpOptions{}).ok());
  EXPECT_EQ(sink.data(), relation);
}

// The snapshot time is the job's start; the end is recorded at commit from the writer's clock
// (restic's summary), so a DR standby can order backups by when they ended.
TEST_F(SnapshotWriterTest, RecordsBackupStartAndEndInTheSummary) {
  core::ManualClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(1700000900)) +
                          std::chrono::milliseconds(250));
  SnapshotWriterOptions options;
  options.clock = &clock;
  auto writer = SnapshotWriter::Open(*repo_, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE(AddBytes(**writer, "dump.sql", RandomBytes(100, 7)).ok());
  CommitOptions commit;
  commit.time = At(1700000200);
  auto summary = (*writer)->Commit(commit);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto snap = repo_->LoadSnapshot(summary->snapshot_id);
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(snap->backup_start && snap->backup_end);
  EXPECT_EQ(snap->backup_start->unix_seconds, 1700000200);
  EXPECT_EQ(snap->backup_end->unix_seconds, 1700000900);
  EXPECT_EQ(snap->backup_end->nanos, 250000000);
  ExpectCheckPasses();
}

// Fixed-size blobs follow the pages: after one changed page a second backup stores one blob.
TEST_F(SnapshotWriterTest, FixedSizeChunkingStoresOnlyChangedPages) {
  core::Bytes relation = RandomBytes(256 * 8192, 3);
  auto first = OpenWriter();
  ASSERT_TRUE(AddBytes(*first, "data/16384", relation, {}, Chunking::FixedSize(8192)).ok());
  ASSERT_TRUE(first->Commit(CommitOptions{}).ok());
  relation[100 * 8192 + 17] ^= 0xff;
  auto second = OpenWriter();
  ASSERT_TRUE(AddBytes(*second, "data/16384", relation, {}, Chunking::FixedSize(8192)).ok());
  auto summary = second->Commit(CommitOptions{});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->chunks, 256U);
  EXPECT_EQ(summary->chunks_new, 1U);
  EXPECT_EQ(summary->bytes_new, 8192U);
  ExpectCheckPasses();
}

// An incremental backup's unchanged blocks: the second file names the first one's blobs for
// blocks 0 and 2 without reading them, reads block 1 (changed) and the short tail; the restored
// file is the new content byte for byte, and only the read bytes count as read.
TEST_F(SnapshotWriterTest, StoredBlobsContinueAFileWithoutReadingThem) {
  constexpr size_t kBlock = 4 * 8192;
  core::Bytes before = RandomBytes(3 * kBlock + 8192, 5);
  auto first = OpenWriter();
  ASSERT_TRUE(AddBytes(*first, "data/16384", before, {}, Chunking::FixedSize(kBlock)).ok());
  ASSERT_TRUE(first->Commit(CommitOptions{}).ok());
  auto block = [&](const core::Bytes& bytes, size_t i) {
    return core::ByteView(bytes.data() + i * kBlock, kBlock);
  };
  core::Bytes after(before.begin(), before.begin() + 3 * kBlock);
  after[kBlock + 99] ^= 0x5a;
  core::Bytes tail = RandomBytes(8192, 6);
  after.insert(after.end(), tail.begin(), tail.end());

  auto second = OpenWriter();
  ASSERT_TRUE(second->BeginFile("data/16384", {}, Chunking::FixedSize(kBlock)).ok());
  ASSERT_TRUE(second->AppendStoredBlob(Sha256(block(before, 0)), kBlock).ok());
  ASSERT_TRUE(second->Append(block(after, 1)).ok());
  // Not at a block boundary: refused.
  ASSERT_TRUE(second->Append(core::ByteView(after.data() + 2 * kBlock, 8192)).ok());
  EXPECT_EQ(second->AppendStoredBlob(Sha256(block(before, 2)), kBlock).code(),
            core::ErrorCode::kInternal);
  ASSERT_TRUE(second->Append(core::ByteView(after.data() + 2 * kBlock + 8192, kBlock - 8192)).ok());
  // A blob the index does not know, or one of another length: the caller must read instead.
  EXPECT_EQ(second->AppendStoredBlob(Sha256(core::AsBytes(std::string("x"))), kBlock).code(),
            core::ErrorCode::kUsage);
  ASSERT_TRUE(second->Append(core::ByteView(tail.data(), tail.size())).ok());
  ASSERT_TRUE(second->FinishFile().ok());
  ASSERT_TRUE(second->BeginFile("data/16385", {}, Chunking::FixedSize(kBlock)).ok());
  EXPECT_EQ(second->AppendStoredBlob(Sha256(block(before, 0)), 8192).code(),
            core::ErrorCode::kUsage)
      << "a stored blob stands for its own length only";
  ASSERT_TRUE(second->AppendStoredBlob(Sha256(block(before, 0)), kBlock).ok());
  // The first file's short last block ends this one too; nothing may follow it.
  core::ByteView short_tail(before.data() + 3 * kBlock, 8192);
  ASSERT_TRUE(second->AppendStoredBlob(Sha256(short_tail), 8192).ok());
  EXPECT_EQ(second->Append(short_tail).code(), core::ErrorCode::kInternal);
  EXPECT_EQ(second->AppendStoredBlob(Sha256(short_tail), 8192).code(), core::ErrorCode::kInternal);
  ASSERT_TRUE(second->FinishFile().ok());
  auto summary = second->Commit(CommitOptions{});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->bytes_read, 2 * kBlock + tail.size());
  EXPECT_EQ(second->reused_bytes(), 2 * kBlock + 8192);
  EXPECT_EQ(summary->chunks_new, 2U) << "the changed block and the tail";
  ExpectCheckPasses();

  ASSERT_TRUE(repo_->LoadIndex().ok());
  auto snap = repo_->LoadSnapshot(summary->snapshot_id);
  ASSERT_TRUE(snap.ok());
  auto restored = RestoreTree(*repo_, *snap, "", Target("incremental"), TreeRestoreOptions{});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(ReadAll(Target("incremental") + "/data/16384"), core::AsString(after));
  core::Bytes head_and_tail(before.begin(), before.begin() + kBlock);
  head_and_tail.insert(head_and_tail.end(), before.begin() + 3 * kBlock, before.end());
  EXPECT_EQ(ReadAll(Target("incremental") + "/data/16385"), core::AsString(head_and_tail));
}

// WAL archiving: many segment files in one snapshot take one lock and one index load, and land
// in a handful of packs instead of one snapshot (and pack) per segment.
TEST_F(SnapshotWriterTest, ManyFilesBatchIntoOneSnapshot) {
  constexpr int kSegments = 64;
  auto writer = OpenWriter();
  std::vector<core::Bytes> segments;
  for (int i = 0; i < kSegments; ++i) {
    segments.push_back(RandomBytes(256 * 1024, 100 + static_cast<uint32_t>(i)));
    char name[32];
    std::snprintf(name, sizeof(name), "wal/0000000100000000000000%02X", i);
    ASSERT_TRUE(AddBytes(*writer, name, segments.back()).ok());
  }
  auto summary = writer->Commit(CommitOptions{});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->files, static_cast<uint64_t>(kSegments));
  EXPECT_EQ(repo_->ListSnapshots()->size(), 1U);
  EXPECT_LE(summary->packs_written, 3U) << "16 MiB of segments fit in two data packs and a tree";
  EXPECT_TRUE(ListLocks(*repo_)->empty());
  ASSERT_TRUE(repo_->LoadIndex().ok());
  auto snap = repo_->LoadSnapshot(summary->snapshot_id);
  auto node = FindFileNode(*repo_, *snap, "wal/000000010000000000000029");
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  core::MemorySink sink;
  ASSERT_TRUE(DumpFile(*repo_, *node, sink, DumpOptions{}).ok());
  EXPECT_EQ(sink.data(), segments[0x29]);
  ExpectCheckPasses();
}

// Without dedup against the repository (WAL pushes) the writer does not load the pack index and
// stores what the repository already has again: legal duplicates, which check accepts.
TEST_F(SnapshotWriterTest, WithoutRepositoryDedupTheIndexStaysUnloadedAndBlobsAreStoredAgain) {
  const core::Bytes data = RandomBytes(3 << 20, 11);
  for (int round = 0; round < 2; ++round) {
    SnapshotWriterOptions options;
    options.dedup_against_repository = false;
    auto repo =
        Repository::Open(std::make_unique<storage::LocalBackend>(dir_->path() + "/repo"), "pw");
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    auto writer = SnapshotWriter::Open(**repo, options);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    EXPECT_EQ((*repo)->index().BlobCount(), 0u) << "the pack index was not loaded";
    ASSERT_TRUE(AddBytes(**writer, "ns/c/wal/segment", data).ok());
    auto summary = (*writer)->Commit(CommitOptions{});
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->chunks_new, summary->chunks) << "round " << round;
  }
  ExpectCheckPasses();
}

TEST_F(SnapshotWriterTest, AbortLeavesNoSnapshotAndNoLock) {
  {
    auto writer = OpenWriter();
    ASSERT_TRUE(AddBytes(*writer, "a/big", RandomBytes(20 << 20, 4)).ok());
    ASSERT_TRUE(writer->BeginFile("a/half").ok());
    ASSERT_TRUE(writer->Append(RandomBytes(1000, 5)).ok());
    // destroyed without Commit
  }
  EXPECT_TRUE(repo_->ListSnapshots()->empty());
  EXPECT_TRUE(ListLocks(*repo_)->empty());
  ExpectCheckPasses();
  auto writer = OpenWriter();
  ASSERT_TRUE(AddBytes(*writer, "x", RandomBytes(10, 6)).ok());
  writer->Abort();
  EXPECT_FALSE(writer->Commit(CommitOptions{}).ok()) << "commit after abort";
  EXPECT_TRUE(repo_->ListSnapshots()->empty());
}

TEST_F(SnapshotWriterTest, BadPathsAndEmptySnapshotsAreRefused) {
  auto writer = OpenWriter();
  EXPECT_EQ(AddBytes(*writer, "../escape", {1}).code(), core::ErrorCode::kUsage);
  EXPECT_EQ(AddBytes(*writer, "", {1}).code(), core::ErrorCode::kUsage);
  ASSERT_TRUE(AddBytes(*writer, "d/f", {1}).ok());
  EXPECT_EQ(AddBytes(*writer, "d/f", {2}).code(), core::ErrorCode::kUsage) << "added twice";
  EXPECT_EQ(AddBytes(*writer, "d/f/g", {2}).code(), core::ErrorCode::kUsage) << "under a file";
  EXPECT_EQ(AddBytes(*writer, "d/g", {1}, {}, Chunking::FixedSize(100)).code(),
            core::ErrorCode::kUsage)
      << "fixed block below 512 bytes";
  auto empty = OpenWriter();
  auto summary = empty->Commit(CommitOptions{});
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), core::ErrorCode::kIncompleteInput);
}

TEST_F(SnapshotWriterTest, RestoreRefusesANonEmptyTarget) {
  auto writer = OpenWriter();
  ASSERT_TRUE(AddBytes(*writer, "f", {1, 2, 3}).ok());
  auto summary = writer->Commit(CommitOptions{});
  ASSERT_TRUE(summary.ok());
  ASSERT_TRUE(core::MakeDirs(Target("busy/keep")).ok());
  ASSERT_TRUE(repo_->LoadIndex().ok());
  auto snap = repo_->LoadSnapshot(summary->snapshot_id);
  auto restored = RestoreTree(*repo_, *snap, "", Target("busy"), TreeRestoreOptions{});
  ASSERT_FALSE(restored.ok());
  EXPECT_EQ(restored.status().code(), core::ErrorCode::kUsage);
  EXPECT_TRUE(fs::is_directory(Target("busy/keep")));
  EXPECT_FALSE(fs::exists(Target("busy/f")));
}

}  // namespace
}  // namespace snapshot_writer_test
}  // namespace hasteward::repo
