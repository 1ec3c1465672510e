// The delete probe and the append-only refusal, through OpenBackend (with the decorators) against
// our REST server in and out of `rest-server --append-only` mode.
#include "storage/delete_probe.h"

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "storage/registry.h"
#include "storage/s3/sigv4.h"
#include "support/rest_test_server.h"

namespace hasteward::storage::testing {
namespace {

using hasteward::testing::RestTestServer;

class DeleteProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-delete-probe-");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<core::TempDir>(std::move(*dir));
    server_ = RestTestServer::Start(dir_->path()).value();
    backend_ = OpenBackend(server_->Location("repo/")).value();
    ASSERT_TRUE(backend_->Create().ok());
  }

  // Saves `content` under its SHA-256 (the server checks the name) and returns the handle.
  Handle SaveFile(FileType type, const std::string& content) {
    Handle h{type, s3::Sha256Hex(core::AsBytes(content))};
    EXPECT_TRUE(backend_->Save(h, core::AsBytes(content)).ok());
    return h;
  }

  size_t Count(FileType type) {
    size_t n = 0;
    EXPECT_TRUE(backend_
                    ->List(type,
                           [&n](const FileInfo&) {
                             ++n;
                             return core::Status::Ok();
                           })
                    .ok());
    return n;
  }

  std::unique_ptr<core::TempDir> dir_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<Backend> backend_;
};

TEST_F(DeleteProbeTest, PassesWithDeleteRightsAndLeavesNoFile) {
  SaveFile(FileType::kIndex, "an index");
  EXPECT_TRUE(ProbeDeleteRights(*backend_, {FileType::kSnapshot, FileType::kIndex, FileType::kPack},
                                "prune")
                  .ok());
  EXPECT_EQ(Count(FileType::kIndex), 1u);
  EXPECT_EQ(Count(FileType::kSnapshot), 0u);
  EXPECT_EQ(Count(FileType::kPack), 0u);
}

TEST_F(DeleteProbeTest, AppendOnlyRefusalNamesTheCommandAndTheHint) {
  server_->SetAppendOnly(true);
  core::Status probed = ProbeDeleteRights(*backend_, {FileType::kIndex}, "prune");
  EXPECT_TRUE(IsDeleteRefused(probed)) << probed.ToString();
  EXPECT_EQ(probed.code(), core::ErrorCode::kStorage);
  EXPECT_FALSE(probed.retryable());
  EXPECT_NE(probed.message().find("prune must delete files in 'index/'"), std::string::npos)
      << probed.message();
  EXPECT_NE(probed.message().find("nothing was changed"), std::string::npos);
  EXPECT_NE(probed.hint().find("append-only"), std::string::npos);
}

TEST_F(DeleteProbeTest, AppendOnlyRefusesDeletingDataButNotLocks) {
  Handle index = SaveFile(FileType::kIndex, "an index");
  Handle lock = SaveFile(FileType::kLock, "a lock");
  server_->SetAppendOnly(true);
  core::Status removed = backend_->Remove(index);
  EXPECT_TRUE(IsDeleteRefused(removed)) << removed.ToString();
  EXPECT_NE(removed.message().find("HTTP 403"), std::string::npos) << removed.message();
  EXPECT_TRUE(backend_->Remove(lock).ok());
  EXPECT_EQ(Count(FileType::kIndex), 1u);
  EXPECT_EQ(Count(FileType::kLock), 0u);
}

}  // namespace
}  // namespace hasteward::storage::testing
