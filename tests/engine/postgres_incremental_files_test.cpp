// The pieces of an incremental PostgreSQL backup that need no server: which data-directory
// entries a base backup holds (as PostgreSQL 15's BASE_BACKUP decides), and the backup_manifest
// written for a tree read from the data directory (accepted by the restore's manifest check, its
// own SHA-256 as pg_verifybackup computes it).
#include <array>
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <sys/stat.h>

#include "core/crc32c.h"
#include "core/hex.h"
#include "core/temp_dir.h"
#include "engine/postgres/data_dir_listing.h"
#include "engine/postgres/manifest_check.h"
#include "engine/postgres/manifest_writer.h"

namespace hasteward::engine::postgres {
namespace {

TEST(BaseBackupEntryTest, ExcludesWhatBaseBackupExcludes) {
  EXPECT_EQ(ClassifyBaseBackupEntry("base/5/16384", false), BaseBackupEntry::kInclude);
  EXPECT_EQ(ClassifyBaseBackupEntry("postgresql.conf", false), BaseBackupEntry::kInclude);
  EXPECT_EQ(ClassifyBaseBackupEntry("pg_xact", true), BaseBackupEntry::kInclude);
  for (const char* dir : {"pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify",
                          "pg_serial", "pg_snapshots", "pg_subtrans"}) {
    EXPECT_EQ(ClassifyBaseBackupEntry(dir, true), BaseBackupEntry::kEmptyDirectory) << dir;
  }
  for (const char* file :
       {"postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map", "backup_manifest",
        "backup_label.old", "postgresql.auto.conf.tmp", "global/pg_internal.init",
        "base/5/pg_internal.init.1234", "base/pgsql_tmp", "base/5/pgsql_tmp12.3"}) {
    EXPECT_EQ(ClassifyBaseBackupEntry(file, false), BaseBackupEntry::kSkip) << file;
  }
  // A standby's recovery mode is not its data: a copy holding it would follow the live cluster.
  EXPECT_EQ(ClassifyBaseBackupEntry("standby.signal", false), BaseBackupEntry::kSkip);
  EXPECT_EQ(ClassifyBaseBackupEntry("recovery.signal", false), BaseBackupEntry::kSkip);
  EXPECT_EQ(ClassifyBaseBackupEntry("base/5/standby.signal", false), BaseBackupEntry::kInclude);
  EXPECT_TRUE(LooksLikeTempRelation("t3_16384"));
  EXPECT_TRUE(LooksLikeTempRelation("t12_16384_fsm"));
  EXPECT_TRUE(LooksLikeTempRelation("t3_16384.1"));
  EXPECT_FALSE(LooksLikeTempRelation("16384"));
  EXPECT_FALSE(LooksLikeTempRelation("t3_"));
  EXPECT_FALSE(LooksLikeTempRelation("tx_16384"));
}

void Write(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

TEST(BaseBackupEntryTest, ListingSkipsUnloggedForksTempRelationsAndEmptiedDirectories) {
  auto dir = core::TempDir::Create("hs-data-dir-listing-");
  ASSERT_TRUE(dir.ok());
  std::string d = dir->path();
  for (const char* sub : {"/base", "/base/5", "/global", "/pg_wal", "/pg_wal/archive_status",
                          "/pg_replslot", "/pg_replslot/slot", "/pg_tblspc"}) {
    ASSERT_EQ(::mkdir((d + sub).c_str(), 0700), 0) << sub;
  }
  for (const char* file :
       {"/PG_VERSION", "/postmaster.pid", "/global/pg_control", "/global/1262", "/base/5/16384",
        "/base/5/16384_vm", "/base/5/16390", "/base/5/16390.1", "/base/5/16390_init",
        "/base/5/t3_16400", "/pg_wal/000000010000000000000001", "/pg_replslot/slot/state"}) {
    Write(d + file, "x");
  }
  auto listed = ListDataDirectory(d);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<std::string> paths;
  for (const auto& entry : *listed) {
    paths.push_back(entry.path);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"PG_VERSION", "base", "base/5", "base/5/16384",
                                             "base/5/16384_vm", "base/5/16390_init", "global",
                                             "global/1262", "pg_replslot", "pg_tblspc", "pg_wal",
                                             "pg_wal/archive_status"}));

  ASSERT_EQ(::symlink("/elsewhere", (d + "/pg_tblspc/16500").c_str()), 0);
  EXPECT_EQ(ListDataDirectory(d).status().code(), core::ErrorCode::kUsage)
      << "a tablespace is refused: one data directory per tree";
}

std::string Sha256Hex(const std::string& data) {
  std::array<unsigned char, 32> digest{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return core::HexEncode(core::ByteView(digest.data(), len));
}

TEST(ManifestWriterTest, WritesAManifestTheRestoreAndPgVerifybackupRead) {
  ManifestWriter writer;
  writer.AddFile("PG_VERSION", 3, 1764200000, core::Crc32c(core::AsBytes("15\n")));
  writer.AddFile("base/5/16384", 16384, 1764200000, std::nullopt);
  std::string manifest = writer.Finish(1, "0/2000028", "0/2000100");

  auto parsed = nlohmann::json::parse(manifest);
  EXPECT_EQ(parsed["PostgreSQL-Backup-Manifest-Version"], 1);
  ASSERT_EQ(parsed["Files"].size(), 2u);
  EXPECT_EQ(parsed["Files"][0]["Last-Modified"], "2025-11-26 23:33:20 GMT");
  EXPECT_FALSE(parsed["Files"][1].contains("Checksum-Algorithm"))
      << "a file partly taken from the parent lists no checksum";
  EXPECT_EQ(parsed["WAL-Ranges"][0]["Start-LSN"], "0/2000028");
  // pg_verifybackup: the SHA-256 of everything up to the newline before the checksum line.
  size_t cut = manifest.rfind("\"Manifest-Checksum\"");
  ASSERT_NE(cut, std::string::npos);
  EXPECT_EQ(parsed["Manifest-Checksum"], Sha256Hex(manifest.substr(0, cut)));

  // The restore's own check reads the CRC-32C the way PostgreSQL writes it; a manifest with a
  // file without one leaves the check to pg_verifybackup.
  ManifestWriter whole;
  whole.AddFile("PG_VERSION", 3, 1764200000, core::Crc32c(core::AsBytes("15\n")));
  auto check = MakeBackupManifestCheck(whole.Finish(1, "0/2000028", "0/2000100"));
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  ASSERT_NE(*check, nullptr);
  auto sink = (*check)->OpenFile("PG_VERSION");
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Write(core::AsBytes("15\n")).ok());
  EXPECT_TRUE(sink->Close().ok());
  EXPECT_TRUE((*check)->Finish().ok());
  auto partial = MakeBackupManifestCheck(manifest);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(*partial, nullptr);
}

}  // namespace
}  // namespace hasteward::engine::postgres
