// The repository cache over a real local backend: what it saves (requests to the inner backend,
// counted by the backend's own counters) and that it never returns bytes that are not the
// repository's (a damaged copy is read again from the repository).
#include "repo/cache/cached_backend.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "repo/crypto/crypto.h"
#include "storage/registry.h"
#include "support/command.h"

namespace hasteward::repo {
namespace {

class CachedBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto inner = storage::OpenBackend(dir_.path() + "/repo");
    ASSERT_TRUE(inner.ok()) << inner.status().ToString();
    ASSERT_TRUE((*inner)->Create().ok());
    cached_ = std::make_unique<CachedBackend>(std::move(*inner), CacheDir());
  }
  std::string CacheDir() const { return dir_.path() + "/cache"; }
  // Saves `content` as a file of `type` named by its SHA-256 (as the restic format names it).
  storage::Handle SaveNamed(storage::FileType type, const std::string& content) {
    core::Bytes bytes(content.begin(), content.end());
    storage::Handle h{type, IdToHex(Sha256(bytes))};
    EXPECT_TRUE(cached_->Save(h, bytes).ok());
    return h;
  }
  std::string Load(const storage::Handle& h, uint64_t offset = 0, uint64_t length = 0) {
    core::Bytes out;
    EXPECT_TRUE(cached_->Load(h, offset, length, &out).ok());
    return std::string(out.begin(), out.end());
  }
  uint64_t InnerLoads() const { return cached_->Counts().load; }

  core::TempDir dir_ = std::move(core::TempDir::Create("hs-cache-test-").value());
  std::unique_ptr<CachedBackend> cached_;
};

TEST_F(CachedBackendTest, IndexAndSnapshotFilesAreReadOnceThenFromTheCache) {
  storage::Handle index = SaveNamed(storage::FileType::kIndex, "index bytes");
  storage::Handle snapshot = SaveNamed(storage::FileType::kSnapshot, "snapshot bytes");
  const uint64_t before = InnerLoads();
  EXPECT_EQ(Load(index), "index bytes");
  EXPECT_EQ(Load(snapshot), "snapshot bytes");
  EXPECT_EQ(InnerLoads(), before) << "what this process saved is cached already";
}

TEST_F(CachedBackendTest, ADamagedCopyIsReadAgainFromTheRepository) {
  storage::Handle index = SaveNamed(storage::FileType::kIndex, "the real index");
  const std::string copy = CacheDir() + "/index/" + index.name;
  ASSERT_TRUE(std::filesystem::exists(copy));
  testing::WriteFile(copy, "the real indeX");
  const uint64_t before = InnerLoads();
  EXPECT_EQ(Load(index), "the real index");
  EXPECT_EQ(InnerLoads(), before + 1);
  EXPECT_EQ(core::ReadFileToString(copy).value(), "the real index") << "the copy is repaired";
}

TEST_F(CachedBackendTest, SmallPackRangesAreCachedAndCheckedLargeOnesAreNot) {
  std::string content(3 * kMaxCachedPackRange, 'p');
  content[100] = 'x';
  storage::Handle pack = SaveNamed(storage::FileType::kPack, content);
  const uint64_t before = InnerLoads();
  EXPECT_EQ(Load(pack, 100, 10), content.substr(100, 10));
  EXPECT_EQ(Load(pack, 100, 10), content.substr(100, 10));
  EXPECT_EQ(InnerLoads(), before + 1) << "a small range (a tree blob) is read once";
  const std::string range = CacheDir() + "/data/" + pack.name + ".100.10";
  std::string stored = core::ReadFileToString(range).value();
  stored.back() = 'z';
  testing::WriteFile(range, stored);
  EXPECT_EQ(Load(pack, 100, 10), content.substr(100, 10)) << "a damaged range is read again";
  Load(pack, 0, 2 * kMaxCachedPackRange);
  Load(pack, 0, 2 * kMaxCachedPackRange);
  EXPECT_EQ(InnerLoads(), before + 4) << "content-sized ranges always come from the repository";
}

TEST_F(CachedBackendTest, ListingDropsCopiesOfFilesRemovedByOthers) {
  storage::Handle kept = SaveNamed(storage::FileType::kSnapshot, "kept");
  storage::Handle pruned = SaveNamed(storage::FileType::kSnapshot, "pruned");
  // Another process (prune) removes it behind the cache's back.
  std::filesystem::remove(dir_.path() + "/repo/snapshots/" + pruned.name);
  std::vector<std::string> names;
  ASSERT_TRUE(cached_
                  ->List(storage::FileType::kSnapshot,
                         [&](const storage::FileInfo& info) {
                           names.push_back(info.name);
                           return core::Status::Ok();
                         })
                  .ok());
  EXPECT_EQ(names, std::vector<std::string>{kept.name});
  EXPECT_TRUE(std::filesystem::exists(CacheDir() + "/snapshots/" + kept.name));
  EXPECT_FALSE(std::filesystem::exists(CacheDir() + "/snapshots/" + pruned.name));
}

}  // namespace
}  // namespace hasteward::repo
