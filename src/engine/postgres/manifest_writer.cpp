#include "engine/postgres/manifest_writer.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "core/hex.h"

namespace hasteward::engine::postgres {

namespace {

// "2026-11-27 06:00:00 GMT", the form PostgreSQL writes.
std::string GmtTime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S GMT", &tm);
  return text.data();
}

std::string Sha256Hex(const std::string& data) {
  std::array<unsigned char, 32> digest{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned char byte : digest) {
    std::array<char, 3> two{};
    std::snprintf(two.data(), two.size(), "%02x", byte);
    hex += two.data();
  }
  return hex;
}

}  // namespace

void ManifestWriter::AddFile(const std::string& path, uint64_t size, int64_t mtime,
                             std::optional<uint32_t> crc32c) {
  // PostgreSQL writes one file per line, with a leading comma from the second on.
  files_ += first_ ? "" : ",\n";
  first_ = false;
  files_ += "{ \"Path\": " + nlohmann::json(path).dump() + ", \"Size\": " + std::to_string(size) +
            ", \"Last-Modified\": \"" + GmtTime(mtime) + "\"";
  if (crc32c) {
    // PostgreSQL writes the checksum's bytes in memory order, as hex.
    std::array<uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &*crc32c, bytes.size());
    files_ += ", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"" +
              core::HexEncode(core::ByteView(bytes.data(), bytes.size())) + "\"";
  }
  files_ += " }";
}

std::string ManifestWriter::Finish(uint32_t timeline, const std::string& start_lsn,
                                   const std::string& end_lsn) {
  // pg_verifybackup checks the SHA-256 of everything up to and including the newline before the
  // "Manifest-Checksum" line.
  std::string body = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n" + files_ +
                     " ],\n\"WAL-Ranges\": [\n{ \"Timeline\": " + std::to_string(timeline) +
                     ", \"Start-LSN\": \"" + start_lsn + "\", \"End-LSN\": \"" + end_lsn +
                     "\" }\n],\n";
  return body + "\"Manifest-Checksum\": \"" + Sha256Hex(body) + "\"}\n";
}

}  // namespace hasteward::engine::postgres
