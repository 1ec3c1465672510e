#include "engine/postgres/manifest_check.h"

#include <atomic>
#include <cctype>
#include <cstring>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/crc32c.h"
#include "core/hex.h"
#include "engine/postgres/data_dir_listing.h"

namespace hasteward::engine::postgres {

namespace {

constexpr char kRestoreHint[] =
    "the instance was not touched; check the repository ('hasteward repo check --read-data') "
    "and restore another snapshot";

struct ManifestFile {
  std::string path;
  uint64_t size = 0;
  std::string checksum;  // lowercase hex, as the manifest writes it
  std::atomic<bool> matched{false};
};

core::Status ManifestError(const std::string& what) {
  return {core::ErrorCode::kVerifyFailed, "the backup manifest cannot be read: " + what,
          "restore another snapshot; `pg_verifybackup` on a stock `restic restore` of this one "
          "shows the same manifest"};
}

// PostgreSQL writes a CRC-32C as the four bytes of the value in the writing machine's memory
// order, hex-encoded (pg_checksum_final); pg_verifybackup compares those bytes on the reading
// machine. The same here: a backup restored on a machine of the other byte order fails both.
std::string ManifestHex(uint32_t crc) {
  uint8_t bytes[sizeof crc];
  std::memcpy(bytes, &crc, sizeof crc);
  return core::HexEncode(core::ByteView(bytes, sizeof bytes));
}

class FileCheck : public core::ByteSink {
 public:
  explicit FileCheck(ManifestFile& file) : file_(file) {}

  core::Status Write(core::ByteView data) override {
    crc_ = core::Crc32cExtend(crc_, data);
    size_ += data.size();
    return core::Status::Ok();
  }

  core::Status Close() override {
    if (size_ != file_.size) {
      return {core::ErrorCode::kVerifyFailed,
              "restored '" + file_.path + "' has " + std::to_string(size_) +
                  " bytes, its backup manifest records " + std::to_string(file_.size),
              kRestoreHint};
    }
    std::string actual = ManifestHex(crc_);
    if (actual != file_.checksum) {
      return {core::ErrorCode::kVerifyFailed,
              "restored '" + file_.path + "' does not match its backup manifest: CRC-32C " +
                  actual + ", the manifest records " + file_.checksum,
              kRestoreHint};
    }
    file_.matched = true;
    return core::Status::Ok();
  }

 private:
  ManifestFile& file_;
  uint32_t crc_ = 0;
  uint64_t size_ = 0;
};

class BackupManifestCheck : public RestoredTreeCheck {
 public:
  explicit BackupManifestCheck(std::vector<ManifestFile> files) : files_(std::move(files)) {
    by_path_.reserve(files_.size());
    for (ManifestFile& file : files_) {
      by_path_.emplace(file.path, &file);
    }
  }

  std::unique_ptr<core::ByteSink> OpenFile(const std::string& relative_path) override {
    auto found = by_path_.find(relative_path);
    if (found == by_path_.end()) {
      return nullptr;
    }
    return std::make_unique<FileCheck>(*found->second);
  }

  core::Status Finish() override {
    for (const ManifestFile& file : files_) {
      // A backup of a standby lists its standby.signal, which the tree leaves out
      // (data_dir_listing.h); pg_verifybackup ignores it too.
      if (!file.matched && !IsRecoverySignalFile(file.path)) {
        return {core::ErrorCode::kVerifyFailed,
                "'" + file.path + "' is listed in the backup manifest but was not restored",
                kRestoreHint};
      }
    }
    return core::Status::Ok();
  }

 private:
  std::vector<ManifestFile> files_;  // never resized after construction: by_path_ points into it
  std::unordered_map<std::string, ManifestFile*> by_path_;
};

core::Result<std::string> PathOf(const nlohmann::json& entry) {
  if (entry.contains("Path") && entry["Path"].is_string()) {
    return entry["Path"].get<std::string>();
  }
  // Names that are not valid UTF-8 are written hex-encoded.
  if (entry.contains("Encoded-Path") && entry["Encoded-Path"].is_string()) {
    auto decoded = core::HexDecode(entry["Encoded-Path"].get<std::string>());
    if (decoded) {
      return core::AsString(*decoded);
    }
  }
  return ManifestError("a file entry without a path");
}

}  // namespace

core::Result<std::unique_ptr<RestoredTreeCheck>> MakeBackupManifestCheck(
    std::string_view manifest) {
  nlohmann::json parsed = nlohmann::json::parse(manifest, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return ManifestError("it is not JSON");
  }
  if (parsed.value("PostgreSQL-Backup-Manifest-Version", 0) != 1 || !parsed.contains("Files") ||
      !parsed["Files"].is_array()) {
    return ManifestError("it is not a version 1 PostgreSQL backup manifest");
  }
  std::vector<ManifestFile> files(parsed["Files"].size());
  size_t index = 0;
  for (const nlohmann::json& entry : parsed["Files"]) {
    if (!entry.is_object() || !entry.contains("Size") || !entry["Size"].is_number_unsigned()) {
      return ManifestError("a file entry without a size");
    }
    if (entry.value("Checksum-Algorithm", "") != "CRC32C" || !entry.contains("Checksum") ||
        !entry["Checksum"].is_string()) {
      return std::unique_ptr<RestoredTreeCheck>();  // pg_verifybackup checks those itself
    }
    ManifestFile& file = files[index++];
    HS_ASSIGN_OR_RETURN(file.path, PathOf(entry));
    file.size = entry["Size"].get<uint64_t>();
    file.checksum = entry["Checksum"].get<std::string>();
    for (char& digit : file.checksum) {
      digit = static_cast<char>(std::tolower(static_cast<unsigned char>(digit)));
    }
  }
  return std::unique_ptr<RestoredTreeCheck>(
      std::make_unique<BackupManifestCheck>(std::move(files)));
}

}  // namespace hasteward::engine::postgres
