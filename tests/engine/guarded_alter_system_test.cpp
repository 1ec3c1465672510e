// ALTER SYSTEM through CloudNativePG's read-only postgresql.auto.conf guard, on a real sandbox
// PostgreSQL 15: refused as the real operator's instance refused it, written through
// GuardedAlterSystem, and the guard back in place afterwards, also when a statement failed.
#include "engine/postgres/guarded_alter_system.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/fd.h"
#include "engine_sandbox.h"

namespace hasteward::engine::postgres {
namespace guarded_alter_system_test {
namespace {

class GuardedAlterSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sandbox = EngineSandbox::Up(platform::EngineKind::kPostgres, 1, "guarded");
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    sandbox_ = std::move(*sandbox);
    auto handle = sandbox_->platform().OpenInstance(cluster(), instance());
    ASSERT_TRUE(handle.ok()) << handle.status().ToString();
    auto conn = PgConnection::ConnectInstance(**handle);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(*conn);
    // The operator's guard: the file read-only for its owner (the server's OS user).
    ASSERT_EQ(::chmod(AutoConf().c_str(), 0444), 0);
  }

  const platform::Cluster& cluster() const { return sandbox_->cluster(); }
  const platform::Instance& instance() const { return cluster().instances.front(); }
  std::string AutoConf() const { return instance().data_dir + "/postgresql.auto.conf"; }
  bool Writable() const {
    struct stat st {};
    return ::stat(AutoConf().c_str(), &st) == 0 && (st.st_mode & 0222) != 0;
  }
  core::Status Alter(const std::vector<std::string>& statements) {
    return GuardedAlterSystem(sandbox_->platform(), cluster(), instance(), *conn_, statements);
  }

  std::unique_ptr<EngineSandbox> sandbox_;
  std::unique_ptr<PgConnection> conn_;
};

TEST_F(GuardedAlterSystemTest, WritesThroughTheReadOnlyFileAndPutsTheGuardBack) {
  // What the real instance answered (the sandbox runs the server as its own OS user, not root).
  EXPECT_FALSE(conn_->Execute("ALTER SYSTEM SET work_mem = '5MB'").ok());
  ASSERT_TRUE(
      Alter({"ALTER SYSTEM SET work_mem = '6MB'", "ALTER SYSTEM RESET recovery_target_lsn"}).ok());
  auto text = core::ReadFileToString(AutoConf());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_NE(text->find("work_mem = '6MB'"), std::string::npos) << *text;
  EXPECT_FALSE(Writable());
}

TEST_F(GuardedAlterSystemTest, AFailedStatementStillPutsTheGuardBack) {
  core::Status failed = Alter({"ALTER SYSTEM SET no_such_setting_here = 1"});
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.ToString().find("no_such_setting_here"), std::string::npos) << failed.ToString();
  EXPECT_FALSE(Writable());
}

TEST_F(GuardedAlterSystemTest, AWritableFileStaysWritable) {
  ASSERT_EQ(::chmod(AutoConf().c_str(), 0600), 0);
  ASSERT_TRUE(Alter({"ALTER SYSTEM SET work_mem = '7MB'"}).ok());
  EXPECT_TRUE(Writable());
}

}  // namespace
}  // namespace guarded_alter_system_test
}  // namespace hasteward::engine::postgres
