// bench/index_scale.sh's generator: adds N small data blobs to an existing repository, in real
// packs with real index files, so a repository of 10 million blobs can be built in minutes and
// stock restic lists, reads and checks it (`restic list index`, `cat index`, `check`). Each blob is
// 24 bytes (a per-run salt and its number, so two runs never share a blob), stored uncompressed
// (40 encrypted bytes, as restic stores a blob that does not compress). Packs hold
// `--per-pack` blobs and index files 150,000 blobs (restic 0.14's flush size), so the index has
// the shape restic itself would leave. Without `used-percent` the blobs are referenced by no
// snapshot (`check` does not look for unused blobs; prune removes them all). With it, one
// snapshot (tag "generated", path /generated) references the blobs of the first used-percent %
// of the packs, all of them, and every other blob of the next used-percent/5 % (partly used
// packs, which prune repacks): files of 100 blobs, 1,000 files a directory, zstd-compressed trees
// in tree packs with their own index file.
//
//   RESTIC_PASSWORD=... index_scale_gen <repo> [blobs=10000000] [per-pack=50000] [used-percent=0]
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/clock.h"
#include "repo/pack/pack.h"
#include "repo/repository.h"
#include "repo/snapshot/snapshot.h"
#include "storage/registry.h"

namespace hasteward {
namespace {

constexpr uint64_t kBlobsPerIndexFile = 150000;  // restic 0.14's flush size for v2
constexpr size_t kBlobsPerFile = 100;
constexpr size_t kFilesPerDir = 1000;
constexpr size_t kTreePackBytes = size_t{16} << 20;

// Blob n's plaintext: the run's salt, then n little-endian.
repo::Id BlobId(const uint8_t (&salt)[16], uint64_t n) {
  core::Bytes plain(sizeof(salt) + sizeof(uint64_t));
  std::copy(salt, salt + sizeof(salt), plain.begin());
  for (size_t b = 0; b < sizeof(uint64_t); ++b) {
    plain[sizeof(salt) + b] = static_cast<uint8_t>(n >> (8 * b));
  }
  return repo::Sha256(plain);
}

// Collects tree blobs into tree packs; Finish saves the last pack and the index file of them all.
class TreeSaver {
 public:
  explicit TreeSaver(repo::Repository& repo)
      : repo_(repo), writer_(std::make_unique<repo::PackWriter>(&repo.key())) {}
  core::Result<repo::Id> Save(const std::vector<repo::Node>& nodes) {
    const std::string json = repo::EncodeTreeJson(nodes);
    const core::ByteView plain(reinterpret_cast<const uint8_t*>(json.data()), json.size());
    const repo::Id id = repo::Sha256(plain);
    repo::EncodedBlob blob =
        repo::EncodeBlob(repo_.key(), repo::BlobType::kTree, id, plain, true, 3);
    bytes_ += blob.data.size();
    writer_->Add(std::move(blob));
    if (bytes_ >= kTreePackBytes) {
      HS_TRY(Flush());
    }
    return id;
  }
  core::Status Finish() {
    HS_TRY(Flush());
    return repo_.SaveUnpacked(storage::FileType::kIndex, repo::EncodeIndexJson(index_)).status();
  }

 private:
  core::Status Flush() {
    if (bytes_ == 0) {
      return core::Status::Ok();
    }
    repo::PackWriter::Finished pack = writer_->Finish();
    HS_TRY(repo_.backend().Save(storage::Handle{storage::FileType::kPack, repo::IdToHex(pack.id)},
                                pack.data));
    index_.packs.emplace_back(pack.id, pack.blobs);
    writer_ = std::make_unique<repo::PackWriter>(&repo_.key());
    bytes_ = 0;
    return core::Status::Ok();
  }

  repo::Repository& repo_;
  std::unique_ptr<repo::PackWriter> writer_;
  repo::IndexFile index_;
  size_t bytes_ = 0;
};

repo::Node FileNode(size_t number, std::vector<repo::Id> content, const repo::GoTime& now) {
  repo::Node node;
  char name[32];
  std::snprintf(name, sizeof(name), "f%07zu", number);
  node.name = name;
  node.type = "file";
  node.mode = 0644;
  node.mtime = node.atime = node.ctime = now;
  node.size = content.size() * 24;
  node.content = std::move(content);
  return node;
}

// The snapshot of the used share (see the top comment): blob numbers in order, 100 a file.
core::Status WriteSnapshot(repo::Repository& repo, const uint8_t (&salt)[16], uint64_t total,
                           uint64_t per_pack, uint64_t used_percent) {
  const uint64_t packs = (total + per_pack - 1) / per_pack;
  const uint64_t full_end = std::min(total, packs * used_percent / 100 * per_pack);
  const uint64_t half_end = std::min(total, full_end + packs * used_percent / 500 * per_pack);
  const repo::GoTime now = repo::LocalTimeNow(core::SystemClock::Get());
  TreeSaver trees(repo);
  std::vector<repo::Node> dirs, files;
  std::vector<repo::Id> content;
  size_t file_number = 0;
  auto close_dir = [&]() -> core::Status {
    HS_ASSIGN_OR_RETURN(repo::Id tree, trees.Save(files));
    repo::Node dir;
    char name[32];
    std::snprintf(name, sizeof(name), "d%05zu", dirs.size());
    dir.name = name;
    dir.type = "dir";
    dir.mode = repo::kGoModeDir | 0755;
    dir.mtime = dir.atime = dir.ctime = now;
    dir.subtree = tree;
    dirs.push_back(std::move(dir));
    files.clear();
    return core::Status::Ok();
  };
  for (uint64_t n = 0; n < half_end; n += (n < full_end ? 1 : 2)) {
    content.push_back(BlobId(salt, n));
    if (content.size() == kBlobsPerFile) {
      files.push_back(FileNode(file_number++, std::move(content), now));
      content.clear();
      if (files.size() == kFilesPerDir) {
        HS_TRY(close_dir());
      }
    }
  }
  if (!content.empty()) {
    files.push_back(FileNode(file_number++, std::move(content), now));
  }
  if (!files.empty()) {
    HS_TRY(close_dir());
  }
  HS_ASSIGN_OR_RETURN(repo::Id root, trees.Save(dirs));
  HS_TRY(trees.Finish());
  repo::Snapshot snapshot;
  snapshot.time = now;
  snapshot.tree = root;
  snapshot.paths = {"/generated"};
  snapshot.hostname = "index-scale-gen";
  snapshot.tags = {"generated"};
  HS_TRY(
      repo.SaveUnpacked(storage::FileType::kSnapshot, repo::EncodeSnapshotJson(snapshot)).status());
  std::fprintf(stderr,
               "snapshot: %" PRIu64 " blobs of fully used packs, %" PRIu64 " packs half used\n",
               full_end, (half_end - full_end) / per_pack);
  return core::Status::Ok();
}

// Appends one pack's entry to an index JSON being built by hand: nlohmann's per-entry objects cost
// more than the encryption at 10 M blobs. The text is what EncodeIndexJson writes.
void AppendPackJson(const repo::Id& pack_id, const std::vector<repo::PackedBlob>& blobs,
                    std::string* json) {
  if (json->back() != '[') {
    json->push_back(',');
  }
  *json += "{\"id\":\"" + repo::IdToHex(pack_id) + "\",\"blobs\":[";
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (i != 0) {
      json->push_back(',');
    }
    *json += "{\"id\":\"";
    *json += repo::IdToHex(blobs[i].id);
    *json += "\",\"type\":\"data\",\"offset\":";
    *json += std::to_string(blobs[i].offset);
    *json += ",\"length\":";
    *json += std::to_string(blobs[i].length);
    json->push_back('}');
  }
  *json += "]}";
}

core::Status Generate(const std::string& location, uint64_t total, uint64_t per_pack,
                      uint64_t used_percent) {
  const char* password = std::getenv("RESTIC_PASSWORD");
  if (password == nullptr) {
    return core::Usage("RESTIC_PASSWORD is not set");
  }
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(location));
  HS_ASSIGN_OR_RETURN(auto repo, repo::Repository::Open(std::move(backend), password));
  uint8_t salt[16];
  repo::RandomBytes(salt, sizeof(salt));
  std::string json = "{\"packs\":[";
  uint64_t in_index = 0;
  core::Bytes plain(sizeof(salt) + sizeof(uint64_t));
  std::copy(salt, salt + sizeof(salt), plain.begin());
  for (uint64_t first = 0; first < total; first += per_pack) {
    const uint64_t count = std::min(per_pack, total - first);
    repo::PackWriter writer(&repo->key());
    for (uint64_t n = first; n < first + count; ++n) {
      for (size_t b = 0; b < sizeof(uint64_t); ++b) {
        plain[sizeof(salt) + b] = static_cast<uint8_t>(n >> (8 * b));
      }
      core::Bytes encrypted = repo::Encrypt(repo->key(), plain);
      writer.Add(repo::Sha256(plain), repo::BlobType::kData, encrypted, 0);
    }
    repo::PackWriter::Finished pack = writer.Finish();
    HS_TRY(repo->backend().Save(storage::Handle{storage::FileType::kPack, repo::IdToHex(pack.id)},
                                pack.data));
    AppendPackJson(pack.id, pack.blobs, &json);
    in_index += count;
    if (in_index >= kBlobsPerIndexFile || first + count >= total) {
      json += "]}\n";
      HS_TRY(repo->SaveUnpacked(storage::FileType::kIndex, json).status());
      json = "{\"packs\":[";
      in_index = 0;
    }
    std::fprintf(stderr, "\r%" PRIu64 "/%" PRIu64 " blobs", first + count, total);
  }
  std::fprintf(stderr, "\n");
  if (used_percent > 0) {
    HS_TRY(WriteSnapshot(*repo, salt, total, per_pack, used_percent));
  }
  return core::Status::Ok();
}

}  // namespace
}  // namespace hasteward

int main(int argc, char** argv) {
  if (argc < 2 || argc > 5) {
    std::fprintf(stderr, "usage: %s <repo> [blobs=10000000] [per-pack=50000] [used-percent=0]\n",
                 argv[0]);
    return 2;
  }
  const uint64_t blobs = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000000;
  const uint64_t per_pack = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 50000;
  const uint64_t used_percent = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 0;
  hasteward::core::Status done = hasteward::Generate(
      argv[1], blobs, std::max<uint64_t>(1, per_pack), std::min<uint64_t>(used_percent, 80));
  if (!done.ok()) {
    std::fprintf(stderr, "%s\n", done.ToString().c_str());
    return static_cast<int>(done.code());
  }
  return 0;
}
