// A real repository (local backend in a temp dir) holding one snapshot with a directory tree for
// the repo/mount tests: ns/db/data.bin (8 blobs of 512 KiB, fixed-size chunking so blob
// boundaries are known), ns/db/small.txt, ns/db/empty, a symlink ns/db/link -> data.bin.
#pragma once

#include <memory>
#include <random>

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "repo/backup/snapshot_writer.h"
#include "repo/mount/blob_cache.h"
#include "repo/repository.h"
#include "storage/local/local_backend.h"

namespace hasteward::repo {

class MountFixture : public ::testing::Test {
 protected:
  static constexpr size_t kBlob = 512 * 1024;
  static constexpr size_t kBlobs = 8;

  void SetUp() override {
    dir_ =
        std::make_unique<core::TempDir>(std::move(core::TempDir::Create("hs-mount-test-").value()));
    InitOptions opts;
    opts.kdf = KdfParams{1024, 8, 1};  // fast for tests
    opts.polynomial = 0x3da3358b4dc173;
    auto r = Repository::Init(std::make_unique<storage::LocalBackend>(dir_->path()), "pw", opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    repo_ = std::move(*r);
    std::mt19937 rng(7);
    data_.resize(kBlob * kBlobs);
    for (auto& c : data_)
      c = static_cast<uint8_t>(rng());
    auto writer = SnapshotWriter::Open(*repo_, SnapshotWriterOptions{});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    core::MemorySource data(data_);
    ASSERT_TRUE((*writer)->AddFile("ns/db/data.bin", data, {}, Chunking::FixedSize(kBlob)).ok());
    core::Bytes small{'h', 'i', '\n'};
    core::MemorySource small_source(small);
    ASSERT_TRUE((*writer)->AddFile("ns/db/small.txt", small_source).ok());
    core::MemorySource empty(core::Bytes{});
    ASSERT_TRUE((*writer)->AddFile("ns/db/empty", empty).ok());
    ASSERT_TRUE((*writer)->AddSymlink("ns/db/link", "data.bin").ok());
    auto summary = (*writer)->Commit(CommitOptions{});
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    auto snap = repo_->LoadSnapshot(summary->snapshot_id);
    ASSERT_TRUE(snap.ok());
    snap_ = *snap;
    ASSERT_TRUE(repo_->LoadIndex().ok());
  }

  BlobLoader Loader() {
    return [this](const Id& id) {
      return repo_->LoadBlob(id, BlobType::kData);
    };
  }

  // The pack file holding `blob` in the local backend, and the blob's offset in it.
  std::pair<std::string, uint64_t> PackOf(const Id& blob) {
    auto loc = repo_->index().Lookup(blob, BlobType::kData);
    EXPECT_TRUE(loc.has_value());
    std::string hex = IdToHex(loc->pack_id);
    return {dir_->path() + "/data/" + hex.substr(0, 2) + "/" + hex, loc->blob.offset};
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<Repository> repo_;
  Snapshot snap_;
  core::Bytes data_;
};

}  // namespace hasteward::repo
