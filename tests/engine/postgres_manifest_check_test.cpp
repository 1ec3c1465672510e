#include <cstring>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/crc32c.h"
#include "core/hex.h"
#include "engine/postgres/manifest_check.h"

namespace hasteward::engine::postgres {
namespace {

// The checksum as PostgreSQL writes it: the value's bytes in memory order, hex.
std::string ManifestChecksum(const std::string& content) {
  uint32_t crc = core::Crc32c(core::AsBytes(content));
  uint8_t bytes[4];
  std::memcpy(bytes, &crc, sizeof bytes);
  return core::HexEncode(core::ByteView(bytes, sizeof bytes));
}

nlohmann::json Entry(const std::string& path, const std::string& content) {
  return {{"Path", path},
          {"Size", content.size()},
          {"Last-Modified", "2026-11-24 12:00:00 GMT"},
          {"Checksum-Algorithm", "CRC32C"},
          {"Checksum", ManifestChecksum(content)}};
}

std::string Manifest(const nlohmann::json& files) {
  return nlohmann::json{{"PostgreSQL-Backup-Manifest-Version", 1}, {"Files", files}}.dump();
}

core::Status WriteThrough(RestoredTreeCheck& check, const std::string& path,
                          const std::string& content, size_t piece) {
  auto sink = check.OpenFile(path);
  EXPECT_NE(sink, nullptr) << path;
  if (sink == nullptr) {
    return core::Internal("no sink");
  }
  for (size_t at = 0; at < content.size(); at += piece) {
    HS_TRY(sink->Write(core::AsBytes(content.substr(at, piece))));
  }
  return sink->Close();
}

const std::string kRelation(20000, 'r');
const std::string kControl = "pg_control bytes";

// The entry PostgreSQL 15's pg_basebackup wrote for PG_VERSION ("15\n"), copied from a real
// backup_manifest, so the byte order and hex case are PostgreSQL's, not only consistent with ours.
TEST(BackupManifestCheckTest, AcceptsTheChecksumPostgresqlWroteForAKnownFile) {
  std::string manifest = R"({ "PostgreSQL-Backup-Manifest-Version": 1,
"Files": [
{ "Path": "PG_VERSION", "Size": 3, "Last-Modified": "2026-11-24 14:21:41 GMT", "Checksum-Algorithm": "CRC32C", "Checksum": "8a744722" }
] })";
  auto check = MakeBackupManifestCheck(manifest);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  ASSERT_NE(*check, nullptr);
  EXPECT_TRUE(WriteThrough(**check, "PG_VERSION", "15\n", 1).ok());
  EXPECT_TRUE((*check)->Finish().ok());
}

// Files written piece by piece in any split pass; Finish passes once every listed file passed.
TEST(BackupManifestCheckTest, EveryListedFileWrittenWholePasses) {
  auto check = MakeBackupManifestCheck(Manifest(nlohmann::json::array(
      {Entry("base/5/16384", kRelation), Entry("global/pg_control", kControl)})));
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  ASSERT_NE(*check, nullptr);
  EXPECT_TRUE(WriteThrough(**check, "base/5/16384", kRelation, 8192).ok());
  EXPECT_TRUE(WriteThrough(**check, "global/pg_control", kControl, 5).ok());
  EXPECT_EQ((*check)->OpenFile("pg_wal/000000010000000000000002"), nullptr)
      << "WAL is not in the manifest's Files; pg_verifybackup checks it";
  EXPECT_TRUE((*check)->Finish().ok());
}

// One flipped byte: kVerifyFailed naming the file and both checksums.
TEST(BackupManifestCheckTest, AChangedByteFailsNamingTheFile) {
  auto check =
      MakeBackupManifestCheck(Manifest(nlohmann::json::array({Entry("base/5/16384", kRelation)})));
  ASSERT_TRUE(check.ok());
  std::string changed = kRelation;
  changed[12345] = 'x';
  core::Status status = WriteThrough(**check, "base/5/16384", changed, 4096);
  EXPECT_EQ(status.code(), core::ErrorCode::kVerifyFailed);
  EXPECT_NE(status.message().find("'base/5/16384'"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find(ManifestChecksum(kRelation)), std::string::npos)
      << status.ToString();
  EXPECT_FALSE((*check)->Finish().ok()) << "a file that failed its check is not matched";
}

TEST(BackupManifestCheckTest, ATruncatedFileFailsOnItsSize) {
  auto check =
      MakeBackupManifestCheck(Manifest(nlohmann::json::array({Entry("base/5/16384", kRelation)})));
  ASSERT_TRUE(check.ok());
  core::Status status = WriteThrough(**check, "base/5/16384", kRelation.substr(0, 8192), 8192);
  EXPECT_EQ(status.code(), core::ErrorCode::kVerifyFailed);
  EXPECT_NE(status.message().find("8192 bytes"), std::string::npos) << status.ToString();
}

TEST(BackupManifestCheckTest, AListedFileNeverWrittenFailsFinish) {
  auto check = MakeBackupManifestCheck(Manifest(nlohmann::json::array(
      {Entry("base/5/16384", kRelation), Entry("global/pg_control", kControl)})));
  ASSERT_TRUE(check.ok());
  ASSERT_TRUE(WriteThrough(**check, "base/5/16384", kRelation, 8192).ok());
  core::Status status = (*check)->Finish();
  EXPECT_EQ(status.code(), core::ErrorCode::kVerifyFailed);
  EXPECT_NE(status.message().find("global/pg_control"), std::string::npos) << status.ToString();
}

// A backup of a standby: the server's manifest lists its standby.signal, which the tree leaves out
// so that a copy is not a standby of the live cluster (history property seed 1: a stock restic
// rescue fetched the live archive's later timelines). Any other listed file still must be there.
TEST(BackupManifestCheckTest, TheStandbysRecoverySignalMayBeLeftOut) {
  auto check = MakeBackupManifestCheck(Manifest(
      nlohmann::json::array({Entry("base/5/16384", kRelation), Entry("standby.signal", ""),
                             Entry("recovery.signal", ""), Entry("base/5/standby.signal", "")})));
  ASSERT_TRUE(check.ok());
  ASSERT_TRUE(WriteThrough(**check, "base/5/16384", kRelation, 8192).ok());
  core::Status status = (*check)->Finish();
  EXPECT_EQ(status.code(), core::ErrorCode::kVerifyFailed) << "only the top's signal files";
  EXPECT_NE(status.message().find("base/5/standby.signal"), std::string::npos) << status.ToString();
}

// Names that are not UTF-8 come hex-encoded as Encoded-Path.
TEST(BackupManifestCheckTest, AnEncodedPathIsDecoded) {
  nlohmann::json entry = Entry("ignored", kControl);
  entry.erase("Path");
  entry["Encoded-Path"] = core::HexEncode(core::AsBytes("base/5/\xff"));
  auto check = MakeBackupManifestCheck(Manifest(nlohmann::json::array({entry})));
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_TRUE(WriteThrough(**check, "base/5/\xff", kControl, 64).ok());
}

// A backup whose manifest uses another algorithm is checked by pg_verifybackup reading the tree.
TEST(BackupManifestCheckTest, AnotherChecksumAlgorithmGivesNoCheck) {
  nlohmann::json entry = Entry("PG_VERSION", "15\n");
  entry["Checksum-Algorithm"] = "SHA256";
  auto check = MakeBackupManifestCheck(Manifest(nlohmann::json::array({entry})));
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(*check, nullptr);
}

TEST(BackupManifestCheckTest, SomethingElseThanAManifestIsRefused) {
  for (std::string text : {"not json", "{}", R"({"PostgreSQL-Backup-Manifest-Version": 2,
      "Files": []})"}) {
    auto check = MakeBackupManifestCheck(text);
    ASSERT_FALSE(check.ok()) << text;
    EXPECT_EQ(check.status().code(), core::ErrorCode::kVerifyFailed);
  }
}

}  // namespace
}  // namespace hasteward::engine::postgres
