// A snapshot's file tree as a tar stream, extracted by GNU tar: every file byte for byte (blobs of
// several packs), directory modes and times, symlinks; a subtree under its snapshot path; nodes
// found by path whatever their type.
#include "repo/restore/tar_dumper.h"

#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "repo/backup/snapshot_writer.h"
#include "storage/local/local_backend.h"
#include "support/command.h"

namespace hasteward::repo {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace tar_dumper_test {
namespace {

using hasteward::testing::RunCommand;

core::Bytes RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  core::Bytes bytes(size);
  for (auto& byte : bytes)
    byte = static_cast<uint8_t>(rng());
  return bytes;
}

// name -> size; one empty, one inside a block, several spanning 64 KiB blobs.
const std::map<std::string, size_t> kFiles = {
    {"ns/db/data/PG_VERSION", 3},
    {"ns/db/data/base/1/1259", 300000},
    {"ns/db/data/base/1/empty", 0},
    {"ns/db/data/global/pg_control", 8192},
};

class TarDumperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<core::TempDir>(
        std::move(core::TempDir::Create("hs-tar-dumper-test-").value()));
    InitOptions init;
    init.kdf = KdfParams{1024, 8, 1};  // fast for tests
    auto repo = Repository::Init(std::make_unique<storage::LocalBackend>(dir_->path() + "/repo"),
                                 "pw", init);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    repo_ = std::move(*repo);
    auto writer = SnapshotWriter::Open(*repo_, SnapshotWriterOptions{});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    NodeAttributes dir_attributes;
    dir_attributes.permissions = 0700;
    dir_attributes.mtime = GoTime{1700000000, 0, 0};
    for (const char* dir : {"ns", "ns/db", "ns/db/data", "ns/db/data/base", "ns/db/data/base/1",
                            "ns/db/data/global"}) {
      ASSERT_TRUE((*writer)->AddDirectory(dir, dir_attributes).ok());
    }
    uint32_t seed = 1;
    for (const auto& [name, size] : kFiles) {
      core::MemorySource source(RandomBytes(size, seed++));
      NodeAttributes attributes;
      attributes.permissions = 0600;
      attributes.mtime = GoTime{1700001000, 0, 0};
      ASSERT_TRUE((*writer)->AddFile(name, source, attributes, Chunking::FixedSize(65536)).ok());
    }
    ASSERT_TRUE((*writer)->AddSymlink("ns/db/data/pg_wal", "/srv/wal", dir_attributes).ok());
    auto summary = (*writer)->Commit(CommitOptions{});
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    snapshot_ = *repo_->LoadSnapshot(summary->snapshot_id);
    ASSERT_TRUE(repo_->LoadIndex().ok());
  }

  // Writes the tar of `path`'s subtree and extracts it with GNU tar into a new directory.
  std::string DumpAndExtract(const std::string& path, TarDumpSummary* summary) {
    auto node = FindNode(*repo_, snapshot_, path);
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    core::MemorySink sink;
    auto dumped = DumpTreeAsTar(*repo_, *node->subtree, path, sink, DumpOptions{});
    EXPECT_TRUE(dumped.ok()) << dumped.status().ToString();
    *summary = *dumped;
    std::string archive = dir_->path() + "/dump.tar";
    hasteward::testing::WriteFile(archive, core::AsString(sink.data()));
    std::string out = dir_->path() + "/out-" + std::to_string(extractions_++);
    std::filesystem::create_directory(out);
    auto extracted = RunCommand({"tar", "-xf", archive, "-C", out});
    EXPECT_EQ(extracted.exit_code, 0) << extracted.err;
    return out;
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<Repository> repo_;
  Snapshot snapshot_;
  int extractions_ = 0;
};

TEST_F(TarDumperTest, TheWholeTreeExtractsWithEveryFileModeTimeAndLink) {
  TarDumpSummary summary;
  std::string out = DumpAndExtract("", &summary);
  EXPECT_EQ(summary.files, kFiles.size());
  EXPECT_EQ(summary.directories, 6U);
  uint32_t seed = 1;
  uint64_t total = 0;
  for (const auto& [name, size] : kFiles) {
    auto content = core::ReadFileToString(out + "/" + name);
    ASSERT_TRUE(content.ok()) << name;
    EXPECT_EQ(*content, core::AsString(RandomBytes(size, seed++))) << name;
    struct stat st {};
    ASSERT_EQ(::stat((out + "/" + name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U) << name;
    EXPECT_EQ(st.st_mtime, 1700001000) << name;
    total += size;
  }
  EXPECT_EQ(summary.content_bytes, total);
  EXPECT_EQ(std::filesystem::read_symlink(out + "/ns/db/data/pg_wal"), "/srv/wal");
  struct stat st {};
  ASSERT_EQ(::stat((out + "/ns/db/data/base").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700U);
  EXPECT_EQ(st.st_mtime, 1700000000);
}

TEST_F(TarDumperTest, ASubtreeKeepsItsSnapshotPathAndHoldsNothingElse) {
  TarDumpSummary summary;
  std::string out = DumpAndExtract("ns/db/data/base", &summary);
  EXPECT_EQ(summary.files, 2U);
  EXPECT_TRUE(std::filesystem::exists(out + "/ns/db/data/base/1/1259"));
  EXPECT_FALSE(std::filesystem::exists(out + "/ns/db/data/PG_VERSION"));
  EXPECT_FALSE(std::filesystem::exists(out + "/ns/db/data/global"));
}

TEST_F(TarDumperTest, FindNodeReturnsFilesDirectoriesAndNamesWhatIsMissing) {
  auto file = FindNode(*repo_, snapshot_, "ns/db/data/PG_VERSION");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->type, "file");
  auto dir = FindNode(*repo_, snapshot_, "/ns/db/");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->type, "dir");
  auto root = FindNode(*repo_, snapshot_, "");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->subtree, snapshot_.tree);
  auto missing = FindNode(*repo_, snapshot_, "ns/db/nothing");
  EXPECT_EQ(missing.status().code(), core::ErrorCode::kNotFound);
  auto below_file = FindNode(*repo_, snapshot_, "ns/db/data/PG_VERSION/x");
  EXPECT_EQ(below_file.status().code(), core::ErrorCode::kNotFound);
}

// What a file check sees: each file's bytes under its path in the archive, and whether it closed.
struct SeenFile {
  std::string bytes;
  bool closed = false;
};

class RecordingCheck : public core::ByteSink {
 public:
  RecordingCheck(SeenFile& seen, bool fail_close) : seen_(seen), fail_close_(fail_close) {}
  core::Status Write(core::ByteView data) override {
    seen_.bytes.append(core::AsString(data));
    return core::Status::Ok();
  }
  core::Status Close() override {
    seen_.closed = true;
    return fail_close_ ? core::Status(core::ErrorCode::kVerifyFailed, "checksum differs")
                       : core::Status::Ok();
  }

 private:
  SeenFile& seen_;
  bool fail_close_;
};

TEST_F(TarDumperTest, AFileCheckSeesEachFilesBytesAndItsFailureStopsTheDump) {
  auto data = FindNode(*repo_, snapshot_, "ns/db/data");
  ASSERT_TRUE(data.ok());
  std::map<std::string, SeenFile> seen;
  core::MemorySink sink;
  auto dumped = DumpTreeAsTar(*repo_, *data->subtree, "", sink, DumpOptions{},
                              [&seen](const std::string& path) -> std::unique_ptr<core::ByteSink> {
                                if (path == "PG_VERSION")
                                  return nullptr;  // not in the manifest: not checked
                                return std::make_unique<RecordingCheck>(seen[path], false);
                              });
  ASSERT_TRUE(dumped.ok()) << dumped.status().ToString();
  EXPECT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen.count("PG_VERSION"), 0U);
  uint32_t seed = 1;
  for (const auto& [name, size] : kFiles) {
    core::Bytes expected = RandomBytes(size, seed++);
    std::string relative = name.substr(std::string("ns/db/data/").size());
    if (relative == "PG_VERSION")
      continue;
    ASSERT_EQ(seen.count(relative), 1U) << relative;
    EXPECT_EQ(seen[relative].bytes, core::AsString(expected)) << relative;
    EXPECT_TRUE(seen[relative].closed) << relative;
  }

  // A check that refuses its file ends the dump with its error, before the files after it.
  std::map<std::string, SeenFile> refused;
  core::MemorySink cut;
  auto failed = DumpTreeAsTar(
      *repo_, *data->subtree, "", cut, DumpOptions{}, [&refused](const std::string& path) {
        return std::make_unique<RecordingCheck>(refused[path], path == "base/1/1259");
      });
  EXPECT_EQ(failed.status().code(), core::ErrorCode::kVerifyFailed);
  EXPECT_EQ(refused.count("global/pg_control"), 0U) << "the dump went on after the refusal";
  EXPECT_LT(cut.data().size(), sink.data().size());
}

}  // namespace
}  // namespace tar_dumper_test
}  // namespace hasteward::repo
