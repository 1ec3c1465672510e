#include "repo/cache/cached_backend.h"

#include <cstring>
#include <filesystem>
#include <set>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/log.h"
#include "repo/crypto/crypto.h"

namespace hasteward::repo {

namespace {

bool WholeFileCached(storage::FileType type) {
  return type == storage::FileType::kIndex || type == storage::FileType::kSnapshot;
}

// A whole file's bytes hash to its name; a pack range is stored after its own SHA-256 (the pack's
// name says nothing about a range of it).
core::Bytes Encode(const storage::Handle& h, core::ByteView data) {
  core::Bytes stored;
  if (!WholeFileCached(h.type)) {
    Id sum = Sha256(data);
    stored.assign(sum.begin(), sum.end());
  }
  stored.insert(stored.end(), data.begin(), data.end());
  return stored;
}

bool Decode(const storage::Handle& h, const std::string& stored, core::Bytes* out) {
  if (WholeFileCached(h.type)) {
    core::ByteView data(reinterpret_cast<const uint8_t*>(stored.data()), stored.size());
    if (IdToHex(Sha256(data)) != h.name)
      return false;
    out->assign(data.begin(), data.end());
    return true;
  }
  Id sum{};
  if (stored.size() < sum.size())
    return false;
  std::memcpy(sum.data(), stored.data(), sum.size());
  core::ByteView data(reinterpret_cast<const uint8_t*>(stored.data()) + sum.size(),
                      stored.size() - sum.size());
  if (Sha256(data) != sum)
    return false;
  out->assign(data.begin(), data.end());
  return true;
}

void Keep(const std::string& path, const storage::Handle& h, core::ByteView data) {
  core::AtomicFileOptions options;
  options.mode = 0600;
  options.parent_dir_mode = 0700;
  // Not fsynced: each entry carries the SHA-256 of its content and is read only when that
  // matches, so one lost or torn by a crash is a miss, never wrong data. The two fsyncs per entry
  // were most of the disk waits of a push through the agent (index, snapshot and tree ranges).
  options.durable = false;
  core::Status written = core::WriteFileAtomically(path, Encode(h, data), options);
  if (!written.ok())
    core::LogDebug("repository cache not written: " + written.ToString());
}

}  // namespace

CachedBackend::CachedBackend(std::unique_ptr<storage::Backend> inner, std::string dir)
    : inner_(std::move(inner)), dir_(std::move(dir)) {}

std::string CachedBackend::PathFor(const storage::Handle& h, uint64_t offset,
                                   uint64_t length) const {
  if (!storage::IsValidName(h.type, h.name))
    return "";
  const std::string type_dir = dir_ + "/" + storage::FileTypeDir(h.type) + "/";
  if (WholeFileCached(h.type) && offset == 0 && length == 0)
    return type_dir + h.name;
  if (h.type == storage::FileType::kPack && length > 0 && length <= kMaxCachedPackRange)
    return type_dir + h.name + "." + std::to_string(offset) + "." + std::to_string(length);
  return "";
}

core::Status CachedBackend::Save(const storage::Handle& h, core::ByteView data) {
  HS_TRY(inner_->Save(h, data));
  // This process wrote it: its next open reads it without a round trip.
  if (WholeFileCached(h.type) && IdToHex(Sha256(data)) == h.name)
    Keep(PathFor(h, 0, 0), h, data);
  return core::Status::Ok();
}

core::Status CachedBackend::Load(const storage::Handle& h, uint64_t offset, uint64_t length,
                                 core::Bytes* out) {
  const std::string path = PathFor(h, offset, length);
  if (path.empty())
    return inner_->Load(h, offset, length, out);
  auto cached = core::ReadFileToString(path);
  if (cached.ok() && Decode(h, *cached, out))
    return core::Status::Ok();
  HS_TRY(inner_->Load(h, offset, length, out));
  // A whole file that does not hash to its name is not cached: the caller's own checks decide.
  if (!WholeFileCached(h.type) || IdToHex(Sha256(*out)) == h.name)
    Keep(path, h, *out);
  return core::Status::Ok();
}

core::Status CachedBackend::List(storage::FileType t,
                                 const std::function<core::Status(const storage::FileInfo&)>& fn) {
  if (!WholeFileCached(t))
    return inner_->List(t, fn);
  std::set<std::string> listed;
  HS_TRY(inner_->List(t, [&](const storage::FileInfo& info) -> core::Status {
    listed.insert(info.name);
    return fn(info);
  }));
  // Files removed by another process (prune) are never read again: drop their copies.
  std::error_code error;
  const std::string type_dir = dir_ + "/" + storage::FileTypeDir(t);
  for (const auto& entry : std::filesystem::directory_iterator(type_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (storage::IsValidName(t, name) && listed.count(name) == 0)
      std::filesystem::remove(entry.path(), error);
  }
  return core::Status::Ok();
}

core::Status CachedBackend::Remove(const storage::Handle& h) {
  HS_TRY(inner_->Remove(h));
  if (WholeFileCached(h.type)) {
    std::error_code error;
    std::filesystem::remove(PathFor(h, 0, 0), error);
  }
  return core::Status::Ok();
}

}  // namespace hasteward::repo
