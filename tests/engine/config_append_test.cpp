// The scripts that append settings to a data directory's configuration, run by sh as an owner
// without privileges (root may write a read-only file, so it would prove nothing): CloudNativePG's
// read-only postgresql.auto.conf (its ALTER SYSTEM guard) gets the settings and stays read-only.
#include "engine/postgres/config_append.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/temp_dir.h"
#include "support/command.h"

namespace hasteward::engine::postgres {
namespace config_append_test {
namespace {

constexpr uid_t kNobody = 65534;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class ConfigAppendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = core::TempDir::Create("hs-config-append-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::make_unique<core::TempDir>(std::move(dir).value());
    data_ = dir_->path() + "/pgdata";
    ASSERT_EQ(::mkdir(data_.c_str(), 0700), 0);
    testing::WriteFile(data_ + "/postgresql.auto.conf", "# ALTER SYSTEM is disabled\n");
    ASSERT_EQ(::chmod(dir_->path().c_str(), 0755), 0);
    ASSERT_EQ(::chown(data_.c_str(), kNobody, kNobody), 0);
    ASSERT_EQ(::chown((data_ + "/postgresql.auto.conf").c_str(), kNobody, kNobody), 0);
    ASSERT_EQ(::chmod((data_ + "/postgresql.auto.conf").c_str(), 0400), 0);
    testing::WriteFile(dir_->path() + "/settings", "recovery_target_timeline = 'latest'\n");
  }

  // `script` run by sh as nobody with `arg` as $1 and the settings on stdin.
  testing::CmdResult RunAsNobody(const char* script, const std::string& arg) {
    return testing::RunCommand({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh",
                                "-c", script, "config-append", arg},
                               {}, dir_->path() + "/settings");
  }

  std::unique_ptr<core::TempDir> dir_;
  std::string data_;
};

TEST_F(ConfigAppendTest, RecoverySettingsReachAReadOnlyAutoConfWhichStaysReadOnly) {
  // The old script (a plain append) fails here, as the native restore did on the real operator.
  EXPECT_NE(RunAsNobody("cat >> \"$1/postgresql.auto.conf\"", data_).exit_code, 0);
  testing::CmdResult ran = RunAsNobody(kAppendRecoveryScript, data_);
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(Read(data_ + "/postgresql.auto.conf"),
            "# ALTER SYSTEM is disabled\nrecovery_target_timeline = 'latest'\n");
  EXPECT_EQ(ModeOf(data_ + "/postgresql.auto.conf"), 0400U);
  EXPECT_EQ(::access((data_ + "/recovery.signal").c_str(), F_OK), 0);
}

TEST_F(ConfigAppendTest, AWritableFileKeepsItsModeAndAMissingOneIsCreated) {
  ASSERT_EQ(::chmod((data_ + "/postgresql.auto.conf").c_str(), 0600), 0);
  ASSERT_EQ(RunAsNobody(kAppendConfigScript, data_ + "/postgresql.auto.conf").exit_code, 0);
  EXPECT_EQ(ModeOf(data_ + "/postgresql.auto.conf"), 0600U);
  ASSERT_EQ(RunAsNobody(kAppendConfigScript, data_ + "/extra.conf").exit_code, 0);
  EXPECT_EQ(Read(data_ + "/extra.conf"), "recovery_target_timeline = 'latest'\n");
}

// ALTER SYSTEM needs a writable postgresql.auto.conf: unlocked (saying it was read-only), then
// locked again, and a writable one is left as it is.
TEST_F(ConfigAppendTest, AReadOnlyAutoConfIsUnlockedForAlterSystemAndLockedAgain) {
  testing::CmdResult unlocked = RunAsNobody(kUnlockAutoConfScript, data_);
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.err;
  EXPECT_EQ(unlocked.out, "read-only\n");
  EXPECT_EQ(ModeOf(data_ + "/postgresql.auto.conf") & 0200, 0200U);
  ASSERT_EQ(RunAsNobody(kLockAutoConfScript, data_).exit_code, 0);
  EXPECT_EQ(ModeOf(data_ + "/postgresql.auto.conf") & 0222, 0U);
  ASSERT_EQ(::chmod((data_ + "/postgresql.auto.conf").c_str(), 0600), 0);
  testing::CmdResult writable = RunAsNobody(kUnlockAutoConfScript, data_);
  ASSERT_EQ(writable.exit_code, 0) << writable.err;
  EXPECT_EQ(writable.out, "");
}

}  // namespace
}  // namespace config_append_test
}  // namespace hasteward::engine::postgres
