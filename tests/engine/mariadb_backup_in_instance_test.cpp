// mariadb-backup run where the instance lives (through InstanceHandle::Exec), against a stand-in
// tool on a local "instance": the credentials reach it only through stdin, as an option file it
// can open several times (the real tool opens it three times); nothing of them is in argv and the
// scratch directory is gone afterwards; a killed tool is a named failure.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/temp_dir.h"
#include "engine/mariadb/backup_in_instance.h"

namespace hasteward::engine::mariadb {
namespace {

constexpr char kPassword[] = "s3cr3t-Pa55";

// An instance whose commands run here, with `bin` first in PATH; it records every argv it ran.
class LocalShellInstance : public platform::InstanceHandle {
 public:
  explicit LocalShellInstance(std::string bin)
      : InstanceHandle(platform::Cluster{}, NamedInstance()), bin_(std::move(bin)) {}
  static platform::Instance NamedInstance() {
    platform::Instance instance;
    instance.name = "db-0";
    return instance;
  }
  platform::Capabilities capabilities() const override { return {}; }
  platform::Endpoint endpoint() const override { return {}; }
  core::Result<std::unique_ptr<core::Subprocess>> Exec(core::SubprocessOptions options) override {
    argvs.push_back(options.argv);
    options.env_set["PATH"] = bin_ + ":/usr/bin:/bin";
    return core::Subprocess::Start(options);
  }
  core::Result<std::string> ReadDataFile(const std::string&) override { return core::Internal(""); }
  core::Status WriteDataFile(const std::string&, const std::string&, unsigned) override {
    return core::Internal("");
  }
  core::Status Start(std::chrono::milliseconds) override { return core::Internal(""); }
  core::Status StartNewCluster(std::chrono::milliseconds) override { return core::Internal(""); }
  core::Status Stop(std::chrono::milliseconds) override { return core::Internal(""); }
  core::Status Fence(std::chrono::milliseconds) override { return core::Internal(""); }
  core::Result<bool> IsRunning() override { return true; }

  std::vector<std::vector<std::string>> argvs;

 private:
  std::string bin_;
};

class BackupInInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-backup-in-instance-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::make_unique<core::TempDir>(std::move(dir).value());
  }
  // A stand-in mariadb-backup running `body` (sh), in a fresh bin directory.
  LocalShellInstance InstanceWithTool(const std::string& body) {
    std::string tool = dir_->path() + "/mariadb-backup";
    EXPECT_TRUE(core::WriteFileAtomically(tool, core::AsBytes("#!/bin/sh\n" + body)).ok());
    ::chmod(tool.c_str(), 0755);
    return LocalShellInstance(dir_->path());
  }
  static core::Result<std::string> ReadAll(ToolDumpStream& stream) {
    std::string out;
    std::vector<uint8_t> buf(4096);
    while (true) {
      HS_ASSIGN_OR_RETURN(size_t n, stream.Read(buf));
      if (n == 0) {
        return out;
      }
      out.append(reinterpret_cast<const char*>(buf.data()), n);
    }
  }
  std::unique_ptr<core::TempDir> dir_;
};

TEST_F(BackupInInstanceTest, CredentialsReachTheToolOnlyThroughStdinAsAReopenableFile) {
  // Prints its arguments, then its option file as three opens see it.
  auto instance = InstanceWithTool(
      "for a; do echo \"arg $a\"; done\n"
      "f=${1#--defaults-extra-file=}\n"
      "cat \"$f\"; cat \"$f\"; cat \"$f\"\n");
  std::string options = "[client]\nuser=root\npassword=" + std::string(kPassword) + "\n";
  auto stream = StartBackupInInstance(instance, options, {"--backup", "--port=3306"});
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  auto out = ReadAll(**stream);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->find(options + options + options), std::string::npos) << *out;
  EXPECT_NE(out->find("arg --defaults-extra-file=/dev/fd/3\narg --target-dir="), std::string::npos)
      << *out;
  EXPECT_NE(out->find("arg --backup\narg --port=3306\n"), std::string::npos) << *out;
  ASSERT_EQ(instance.argvs.size(), 1U);
  for (const auto& arg : instance.argvs[0]) {
    EXPECT_EQ(arg.find(kPassword), std::string::npos) << arg;
  }
  // The scratch directory (the tool's --target-dir) was removed when the command ended.
  size_t at = out->find("arg --target-dir=") + std::string("arg --target-dir=").size();
  std::string scratch = out->substr(at, out->find('\n', at) - at);
  struct stat st {};
  EXPECT_NE(::stat(scratch.c_str(), &st), 0) << scratch << " is left behind";
}

TEST_F(BackupInInstanceTest, AToolKilledMidStreamIsANamedFailure) {
  auto instance = InstanceWithTool("head -c 100000 /dev/zero\nkill -9 $$\n");
  auto stream = StartBackupInInstance(instance, "[client]\n", {"--backup"});
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  auto out = ReadAll(**stream);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), core::ErrorCode::kDumpFailed);
  EXPECT_NE(out.status().message().find("mariadb-backup"), std::string::npos)
      << out.status().ToString();
  EXPECT_NE(out.status().message().find("killed by signal 9"), std::string::npos)
      << out.status().ToString();
}

TEST(ParseIdOutputTest, GivesUserAndGroupOrNothing) {
  auto owner = ParseIdOutput("uid=999(mysql) gid=998(mysql) groups=998(mysql)\n");
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->uid, 999U);
  EXPECT_EQ(owner->gid, 998U);
  EXPECT_EQ(owner->user, "mysql");
  EXPECT_EQ(owner->group, "mysql");
  EXPECT_FALSE(ParseIdOutput("id: cannot find name for user ID 1000").has_value());
  EXPECT_FALSE(ParseIdOutput("uid=99999999999999999999(x) gid=1(y)").has_value());
}

}  // namespace
}  // namespace hasteward::engine::mariadb
