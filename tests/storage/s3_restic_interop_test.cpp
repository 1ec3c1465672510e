// Interop with stock restic 0.14 over S3 (real Ceph RGW): we list and load exactly what restic
// wrote, and restic checks (--read-data) and dumps a repository whose objects we saved.
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "storage/backend_conformance.h"
#include "storage/local/local_backend.h"
#include "storage/registry.h"
#include "storage/restic_cli.h"
#include "storage/s3/sigv4.h"
#include "support/ceph_rgw_server.h"

namespace hasteward::storage::testing {
namespace {

using hasteward::testing::CephRgwServer;

constexpr FileType kAllTypes[] = {FileType::kKey, FileType::kSnapshot, FileType::kIndex,
                                  FileType::kPack, FileType::kLock};

std::string RandomInput(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng() % 7 == 0 ? 'x' : rng());  // partly compressible
  return s;
}

std::map<std::string, std::string> ResticEnv(const CephRgwServer& rgw) {
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : rgw.ClientEnv())
    env[k] = v;
  return env;
}

// name → size of every object of every type.
std::map<std::string, uint64_t> Inventory(Backend& b) {
  std::map<std::string, uint64_t> out;
  for (FileType t : kAllTypes) {
    auto st = b.List(t, [&](const FileInfo& fi) {
      out[std::string(FileTypeDir(t)) + "/" + fi.name] = fi.size;
      return core::Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return out;
}

class S3ResticInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rgw_ = CephRgwServer::Shared();
    ASSERT_NE(rgw_, nullptr);
    rgw_->ExportClientEnv();
    prefix_ = "interop" + std::to_string(std::random_device{}());
  }
  CephRgwServer* rgw_ = nullptr;
  std::string prefix_;
};

TEST_F(S3ResticInteropTest, WeListAndLoadExactlyWhatResticWrote) {
  std::string repo = rgw_->Location(prefix_);
  std::string input = RandomInput(12 << 20, 5);
  ASSERT_TRUE(RunRestic(repo, {"init"}, ResticEnv(*rgw_)).ok());
  auto backup =
      RunRestic(repo, {"backup", "--stdin", "--stdin-filename", "db.sql"}, ResticEnv(*rgw_), input);
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();

  auto ours = OpenBackend(repo);
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  auto inv = Inventory(**ours);
  std::map<std::string, size_t> per_type;
  for (const auto& [path, size] : inv) {
    auto slash = path.find('/');
    FileType t = FileType::kPack;
    for (FileType c : kAllTypes) {
      if (path.substr(0, slash) == FileTypeDir(c))
        t = c;
    }
    ++per_type[path.substr(0, slash)];
    core::Bytes data;
    auto st = (*ours)->Load(Handle{t, path.substr(slash + 1)}, 0, 0, &data);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(data.size(), size) << path;
    EXPECT_EQ(s3::Sha256Hex(data), path.substr(slash + 1)) << path;
  }
  EXPECT_EQ(per_type["keys"], 1u);
  EXPECT_EQ(per_type["snapshots"], 1u);
  EXPECT_GE(per_type["index"], 1u);
  EXPECT_GE(per_type["data"], 2u);
  EXPECT_EQ(per_type["locks"], 0u) << "restic removes its lock";
  auto config = (*ours)->Stat(Handle{FileType::kConfig, ""});
  ASSERT_TRUE(config.ok());
  EXPECT_GT(config->size, 0u);
}

TEST_F(S3ResticInteropTest, ResticChecksAndDumpsARepositoryWeSaved) {
  auto local_dir = core::TempDir::Create("hs-s3-interop-").value();
  std::string local_repo = local_dir.path() + "/repo";
  std::string input = RandomInput(9 << 20, 6);
  ASSERT_TRUE(RunRestic(local_repo, {"init"}, {}).ok());
  ASSERT_TRUE(
      RunRestic(local_repo, {"backup", "--stdin", "--stdin-filename", "db.sql"}, {}, input).ok());

  LocalBackend local(local_repo);
  auto s3 = OpenBackend(rgw_->Location(prefix_));
  ASSERT_TRUE(s3.ok());
  ASSERT_TRUE((*s3)->Create().ok());
  core::Bytes data;
  ASSERT_TRUE(local.Load(Handle{FileType::kConfig, ""}, 0, 0, &data).ok());
  ASSERT_TRUE((*s3)->Save(Handle{FileType::kConfig, ""}, data).ok());
  for (FileType t : kAllTypes) {
    ASSERT_TRUE(local
                    .List(t,
                          [&](const FileInfo& fi) {
                            core::Bytes obj;
                            HS_TRY(local.Load(Handle{t, fi.name}, 0, 0, &obj));
                            return (*s3)->Save(Handle{t, fi.name}, obj);
                          })
                    .ok());
  }
  EXPECT_EQ(Inventory(**s3), Inventory(local));

  std::string repo = rgw_->Location(prefix_);
  auto check = RunRestic(repo, {"check", "--read-data"}, ResticEnv(*rgw_));
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  auto dump = RunRestic(repo, {"dump", "latest", "db.sql"}, ResticEnv(*rgw_));
  ASSERT_TRUE(dump.ok()) << dump.status().ToString();
  EXPECT_TRUE(*dump == input) << "dump returned " << dump->size() << " of " << input.size()
                              << " bytes";
}

}  // namespace
}  // namespace hasteward::storage::testing
