// bench/index_scale.sh's generator: adds N small data blobs to an existing repository, in real
// packs with real index files, so a repository of 10 million blobs can be built in minutes and
// stock restic lists, reads and checks it (`restic list index`, `cat index`, `check`). Each blob is
// 24 bytes (a per-run salt and its number, so two runs never share a blob), stored uncompressed
// (40 encrypted bytes, as restic stores a blob that does not compress). Packs hold
// `--per-pack` blobs and index files 150,000 blobs (restic 0.14's flush size), so the index has
// the shape restic itself would leave. The blobs are referenced by no snapshot: `check` does not
// look for unused blobs, and prune would remove them (the bench does not run prune).
//
//   RESTIC_PASSWORD=... index_scale_gen <repo> [blobs=10000000] [per-pack=50000]
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/byte_stream.h"
#include "repo/pack/pack.h"
#include "repo/repository.h"
#include "storage/registry.h"

namespace hasteward {
namespace {

constexpr uint64_t kBlobsPerIndexFile = 150000;  // restic 0.14's flush size for v2

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

core::Status Generate(const std::string& location, uint64_t total, uint64_t per_pack) {
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
  return core::Status::Ok();
}

}  // namespace
}  // namespace hasteward

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s <repo> [blobs=10000000] [per-pack=50000]\n", argv[0]);
    return 2;
  }
  const uint64_t blobs = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000000;
  const uint64_t per_pack = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 50000;
  hasteward::core::Status done =
      hasteward::Generate(argv[1], blobs, std::max<uint64_t>(1, per_pack));
  if (!done.ok()) {
    std::fprintf(stderr, "%s\n", done.ToString().c_str());
    return static_cast<int>(done.code());
  }
  return 0;
}
